import { ApiError } from '../../http/errors.ts';
import { isObject, type ScimObject } from './doc.ts';
import { invalidSyntax, invalidValue, renderScimError, ScimError } from './errors.ts';
import { SCIM_LIMITS } from './limits.ts';
import type { ScimRequest, ScimResult } from './request.ts';
import { BULK_REQUEST, BULK_RESPONSE } from './schema/urns.ts';
import type { ScimGroups } from './groups.ts';
import type { ScimUsers } from './users.ts';

type Method = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface BulkOperation {
  index: number;
  method: Method;
  bulkId?: string;
  version?: string;
  path: string;
  data: unknown;
}

const REFERENCE = /^bulkId:(.+)$/;
const PATH = /^\/(Users|Groups)(?:\/([^/]+))?$/;

/**
 * RFC 7644 §3.7: operations run in order, each in its own transaction (as separate requests
 * would). `bulkId:X` references resolve to ids created earlier in the request; an operation
 * that references a later one waits for it. Processing stops after `failOnErrors` errors.
 */
export async function runBulk(req: ScimRequest, body: unknown, users: ScimUsers, groups: ScimGroups): Promise<ScimResult> {
  const { ops, failOnErrors } = parseBulk(body);
  const created = new Map<string, string>();
  const definedLater = new Set(ops.flatMap((o) => (o.method === 'POST' && o.bulkId ? [o.bulkId] : [])));
  const results = new Map<number, ScimObject>();
  let errors = 0;
  let pending = ops;
  while (pending.length > 0 && (failOnErrors === undefined || errors < failOnErrors)) {
    const waiting: BulkOperation[] = [];
    for (const op of pending) {
      if (failOnErrors !== undefined && errors >= failOnErrors) break;
      const refs = references(op);
      if (refs.some((r) => !created.has(r) && definedLater.has(r))) {
        waiting.push(op);
        continue;
      }
      const result = await runOne(req, op, created, users, groups);
      if (Number(result.status) >= 400) errors++;
      if (op.method === 'POST' && op.bulkId) {
        definedLater.delete(op.bulkId);
        if (result.location) created.set(op.bulkId, String(result.location).split('/').pop() as string);
      }
      results.set(op.index, result);
    }
    if (waiting.length === pending.length) {
      for (const op of waiting) {
        results.set(op.index, errorEntry(op, invalidValue('The operation references a bulkId that cannot be resolved (circular reference).')));
        errors++;
      }
      break;
    }
    pending = waiting;
  }
  return {
    status: 200,
    body: { schemas: [BULK_RESPONSE], Operations: [...results.entries()].sort(([a], [b]) => a - b).map(([, r]) => r) },
  };
}

async function runOne(req: ScimRequest, op: BulkOperation, created: Map<string, string>, users: ScimUsers, groups: ScimGroups): Promise<ScimObject> {
  try {
    const data = resolveReferences(op.data, created);
    const m = PATH.exec(op.path) as RegExpExecArray;
    const target = m[1] === 'Users' ? users : groups;
    const rawId = m[2];
    const id = rawId === undefined ? undefined : resolveId(rawId, created);
    let result: ScimResult;
    if (op.method === 'POST') {
      if (id !== undefined) throw invalidValue('POST goes to /Users or /Groups.');
      result = await target.create(req, data, {});
    } else {
      if (id === undefined) throw invalidValue(`${op.method} needs a resource path such as /Users/{id}.`);
      if (op.method === 'PUT') result = await target.replace(req, id, data, op.version, {});
      else if (op.method === 'PATCH') result = await target.patch(req, id, data, op.version, { attributes: 'id' });
      else result = await target.delete(req, id, op.version);
    }
    return {
      method: op.method,
      ...(op.bulkId ? { bulkId: op.bulkId } : {}),
      ...(result.location ? { location: result.location } : id ? { location: `${req.baseUrl}/${m[1]}/${id}` } : {}),
      ...(result.etag ? { version: result.etag } : {}),
      status: String(result.status),
    };
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) return errorEntry(op, err);
    throw err;
  }
}

function errorEntry(op: BulkOperation, err: ApiError): ScimObject {
  return {
    method: op.method,
    ...(op.bulkId ? { bulkId: op.bulkId } : {}),
    status: String(err.status),
    response: renderScimError(err, '').body as ScimObject,
  };
}

function parseBulk(body: unknown): { ops: BulkOperation[]; failOnErrors: number | undefined } {
  if (!isObject(body)) throw invalidSyntax('The bulk body must be a JSON object.');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === BULK_REQUEST.toLowerCase())) {
    throw invalidValue(`A bulk body's 'schemas' must contain ${BULK_REQUEST}.`);
  }
  const failOnErrors = body.failOnErrors;
  if (failOnErrors !== undefined && (typeof failOnErrors !== 'number' || !Number.isInteger(failOnErrors) || failOnErrors < 1)) {
    throw invalidValue("'failOnErrors' must be a positive integer.");
  }
  const raw = body.Operations;
  if (!Array.isArray(raw) || raw.length === 0) throw invalidValue("A bulk body needs a non-empty 'Operations' array.");
  if (raw.length > SCIM_LIMITS.bulkMaxOperations) {
    throw new ScimError(413, 'tooMany', `The bulk request has ${raw.length} operations; maxOperations is ${SCIM_LIMITS.bulkMaxOperations}.`);
  }
  const bulkIds = new Set<string>();
  const ops = raw.map((o, index): BulkOperation => {
    if (!isObject(o)) throw invalidSyntax(`Operations[${index}] must be an object.`);
    const method = typeof o.method === 'string' ? o.method.toUpperCase() : '';
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) throw invalidValue(`Operations[${index}].method must be POST, PUT, PATCH or DELETE.`);
    if (typeof o.path !== 'string' || !PATH.test(o.path)) throw invalidValue(`Operations[${index}].path must be /Users, /Groups or one of their resources.`);
    if (o.bulkId !== undefined && typeof o.bulkId !== 'string') throw invalidValue(`Operations[${index}].bulkId must be a string.`);
    if (method === 'POST' && !o.bulkId) throw invalidValue(`Operations[${index}]: a POST needs a bulkId.`);
    if (o.bulkId && bulkIds.has(o.bulkId)) throw invalidValue(`bulkId '${o.bulkId}' is used twice.`);
    if (o.bulkId) bulkIds.add(o.bulkId);
    if (method !== 'DELETE' && o.data === undefined) throw invalidValue(`Operations[${index}] needs 'data'.`);
    return { index, method: method as Method, bulkId: o.bulkId, version: typeof o.version === 'string' ? o.version : undefined, path: o.path, data: o.data };
  });
  return { ops, failOnErrors };
}

function references(op: BulkOperation): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      const m = REFERENCE.exec(v);
      if (m) out.push(m[1] as string);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) Object.values(v).forEach(walk);
  };
  walk(op.data);
  walk(op.path.split('/').pop());
  return out;
}

function resolveId(raw: string, created: Map<string, string>): string {
  const m = REFERENCE.exec(raw);
  if (!m) return raw;
  const id = created.get(m[1] as string);
  if (!id) throw invalidValue(`bulkId '${m[1]}' does not name a resource created in this request.`);
  return id;
}

function resolveReferences(v: unknown, created: Map<string, string>): unknown {
  if (typeof v === 'string') return REFERENCE.test(v) ? resolveId(v, created) : v;
  if (Array.isArray(v)) return v.map((x) => resolveReferences(x, created));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveReferences(x, created)]));
  return v;
}
