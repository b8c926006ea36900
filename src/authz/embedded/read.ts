import type { ReadChangesResponse, ReadRequest, ReadResponse, TupleChange, TupleKey, TupleOperation } from '@openfga/sdk';
import type { Sql } from '../../storage/database.ts';
import type { ReadChangesQuery } from '../engine.ts';
import { fgaError, validationError } from '../errors.ts';
import { parseUser, re2Pattern, splitObject } from '../model/keys.ts';
import { pageSizeOf } from './pagination.ts';
import { invalidContinuationToken, type ContinuationTokens } from '../continuation-tokens.ts';
import { rowToKey, type TupleRow } from './tuple-row.ts';

const COLUMNS = 'object_type, object_id, relation, user_type, user_id, user_relation, condition_name, condition_context, inserted_at';
const ORDER = ['object_type', 'object_id', 'relation', 'user_type', 'user_id', 'user_relation'] as const;

/**
 * Read: the stored tuples matching an optional filter, a page at a time. The filter follows
 * OpenFGA: its fields' patterns first (`ReadRequestTupleKey`), then the object type is required
 * and `document:` (type only) needs a user. Pages follow the primary key.
 */
export function readTuples(sql: Sql, tokens: ContinuationTokens, storeId: string, body: ReadRequest): ReadResponse {
  const where = ['store_id = ?'];
  const params: unknown[] = [storeId];
  const tk = body?.tuple_key;
  if (tk !== undefined && tk !== null) {
    assertReadFilterFields(tk);
    const [objectType, objectId] = splitObject(tk.object ?? '');
    if (objectType === '' || (objectId === '' && !tk.user)) {
      throw validationError(
        "the 'tuple_key' field was provided but the object type field is required and both the object id and user cannot be empty",
      );
    }
    where.push('object_type = ?');
    params.push(objectType);
    if (objectId !== '') {
      where.push('object_id = ?');
      params.push(objectId);
    }
    if (tk.relation) {
      where.push('relation = ?');
      params.push(tk.relation);
    }
    if (tk.user) {
      const user = parseUser(tk.user);
      where.push('user_type = ?');
      params.push(user.type);
      if (user.id !== '') {
        where.push('user_id = ? AND user_relation = ?');
        params.push(user.id, user.relation);
      }
      // A userset with an empty relation (`user:u1#`) is no stored user: OpenFGA reads nothing.
      if (tk.user.endsWith('#')) where.push('0');
    }
  }
  const size = pageSizeOf(body?.page_size, 'ReadRequest');
  const after = tokens.decode(storeId, body?.continuation_token, 'read');
  if (after) {
    if (after.length !== ORDER.length || after.some((v) => typeof v !== 'string')) throw invalidContinuationToken();
    where.push(`(${ORDER.join(', ')}) > (${ORDER.map(() => '?').join(', ')})`);
    params.push(...after);
  }
  const rows = sql
    .prepare<unknown[], TupleRow>(`SELECT ${COLUMNS} FROM authz_tuples WHERE ${where.join(' AND ')} ORDER BY ${ORDER.join(', ')} LIMIT ?`)
    .all(...params, size + 1);
  const more = rows.length > size;
  const page = more ? rows.slice(0, size) : rows;
  const last = page[page.length - 1];
  return {
    tuples: page.map((row) => ({ key: rowToKey(row), timestamp: row.inserted_at })),
    continuation_token: more && last ? tokens.encode(storeId, 'read', ORDER.map((c) => last[c])) : '',
  };
}

/** OpenFGA's `ReadRequestTupleKey` rules: each field, when given, matches its pattern. */
const READ_FIELDS = [
  ['User', 'user', re2Pattern('^[^\\s]{1,511}:[^\\s]{1,511}$')],
  ['Relation', 'relation', re2Pattern('^[^:#@\\s]{1,50}$')],
  ['Object', 'object', re2Pattern('^[^\\s]{2,256}$')],
] as const;

function assertReadFilterFields(tk: { user?: string; relation?: string; object?: string }): void {
  for (const [name, field, pattern] of READ_FIELDS) {
    const value = tk[field];
    if (value === undefined || value === null || value === '') continue;
    if (field === 'user' && Buffer.byteLength(value) > 512) throw validationError('invalid ReadRequestTupleKey.User: value length must be at most 512 bytes');
    if (!pattern.test(value)) throw validationError(`invalid ReadRequestTupleKey.${name}: value does not match regex pattern "${pattern.source}"`);
  }
}

interface ChangeRow {
  id: number;
  object_type: string;
  object_id: string;
  relation: string;
  user: string;
  condition_name: string;
  condition_context: string | null;
  operation: 'write' | 'delete';
  occurred_at: string;
}

/**
 * ReadChanges: the changelog in write order, optionally for one object type and from a start
 * time. Like OpenFGA, a page that returned changes carries a token to resume after its last
 * change (also when nothing follows yet, so a poller can wait for more); an empty page hands
 * back the token it was given.
 */
export function readChanges(sql: Sql, tokens: ContinuationTokens, storeId: string, query: ReadChangesQuery, now: Date): ReadChangesResponse {
  const type = query?.type ?? '';
  const size = pageSizeOf(query?.page_size, 'ReadChangesRequest');
  const where = ['store_id = ?'];
  const params: unknown[] = [storeId];
  const position = tokens.decode(storeId, query?.continuation_token, 'changes');
  if (position) {
    const [afterId, tokenType] = position;
    if (typeof afterId !== 'number' || !Number.isSafeInteger(afterId) || typeof tokenType !== 'string') throw invalidContinuationToken();
    if (tokenType !== type) {
      throw fgaError('query_string_type_continuation_token_mismatch', "The type in the querystring and the continuation token don't match");
    }
    where.push('id > ?');
    params.push(afterId);
  } else if (query?.start_time) {
    const start = Date.parse(query.start_time);
    if (Number.isNaN(start)) throw validationError(`parsing field "start_time": cannot parse "${query.start_time}" as an RFC 3339 timestamp`);
    if (start > now.getTime()) throw validationError('invalid ReadChangesRequest.StartTime: value must be less than now');
    where.push('occurred_ms >= ?');
    params.push(start);
  }
  if (type !== '') {
    where.push('object_type = ?');
    params.push(type);
  }
  const rows = sql
    .prepare<unknown[], ChangeRow>(
      `SELECT id, object_type, object_id, relation, user, condition_name, condition_context, operation, occurred_at
       FROM authz_changes WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`,
    )
    .all(...params, size);
  const last = rows[rows.length - 1];
  return {
    changes: rows.map(toChange),
    continuation_token: last ? tokens.encode(storeId, 'changes', [last.id, type]) : (query?.continuation_token ?? ''),
  };
}

function toChange(row: ChangeRow): TupleChange {
  const key: TupleKey = { user: row.user, relation: row.relation, object: `${row.object_type}:${row.object_id}` };
  if (row.condition_name !== '') {
    key.condition = { name: row.condition_name };
    if (row.condition_context !== null) key.condition.context = JSON.parse(row.condition_context) as object;
  }
  return {
    tuple_key: key,
    operation: (row.operation === 'write' ? 'TUPLE_OPERATION_WRITE' : 'TUPLE_OPERATION_DELETE') as TupleOperation,
    timestamp: row.occurred_at,
  };
}
