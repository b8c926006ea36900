import type { ResourceSchema } from '../schema/registry.ts';
import { PATCH_OP } from '../schema/urns.ts';
import { isObject } from '../doc.ts';
import type { Normalisations } from '../dialects.ts';
import { invalidSyntax, invalidValue } from '../errors.ts';
import { parsePatchPath, type PatchPath } from './path.ts';

export type PatchOpName = 'add' | 'remove' | 'replace';

export interface PatchOperation {
  op: PatchOpName;
  path: PatchPath | undefined;
  value: unknown;
  /** Position in the request, for error messages. */
  index: number;
}

export const MAX_PATCH_OPERATIONS = 1000;

/** Validates a PatchOp body and parses every operation's path before anything is applied. */
export function parsePatchRequest(body: unknown, resource: ResourceSchema, n: Normalisations): PatchOperation[] {
  if (!isObject(body)) throw invalidSyntax('The PATCH body must be a JSON object.');
  const schemas = body.schemas;
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP.toLowerCase()))) {
    throw invalidValue(`A PATCH body's 'schemas' must contain ${PATCH_OP}.`);
  }
  const opsKey = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const ops = opsKey === undefined ? undefined : body[opsKey];
  if (!Array.isArray(ops) || ops.length === 0) throw invalidValue("A PATCH body needs a non-empty 'Operations' array.");
  if (ops.length > MAX_PATCH_OPERATIONS) throw invalidValue(`At most ${MAX_PATCH_OPERATIONS} operations per PATCH.`);
  const unknownKeys = Object.keys(body).filter((k) => k !== opsKey && k.toLowerCase() !== 'schemas');
  if (unknownKeys.length > 0) throw invalidSyntax(`Unknown PATCH body member '${unknownKeys[0]}'.`);
  return ops.map((raw, index) => {
    if (!isObject(raw)) throw invalidSyntax(`Operations[${index}] must be an object.`);
    const keys = new Map(Object.keys(raw).map((k) => [k.toLowerCase(), k]));
    const opText = raw[keys.get('op') ?? 'op'];
    if (typeof opText !== 'string') throw invalidSyntax(`Operations[${index}].op is required.`);
    const op = opText.toLowerCase();
    if (op !== 'add' && op !== 'remove' && op !== 'replace') throw invalidSyntax(`Operations[${index}].op '${opText}' is not add, remove or replace.`);
    if (opText !== op) n.note('op_case', `op '${opText}' read as '${op}'`);
    const pathText = raw[keys.get('path') ?? 'path'];
    if (pathText !== undefined && pathText !== null && typeof pathText !== 'string') throw invalidSyntax(`Operations[${index}].path must be a string.`);
    const path = typeof pathText === 'string' ? parsePatchPath(pathText, resource, n) : undefined;
    const value = raw[keys.get('value') ?? 'value'];
    if (op !== 'remove' && value === undefined) throw invalidValue(`Operations[${index}] ('${op}') needs a value.`);
    return { op, path, value, index };
  });
}
