import type { TupleKey } from '@openfga/sdk';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { formatUser, parseUser, splitObject } from '../model/keys.ts';

/**
 * A relationship tuple as the evaluator sees it: the `authz_tuples` row shape. Contextual tuples
 * are converted to the same shape so one code path serves both. `condition_context` stays the
 * JSON text until a condition needs it.
 */
export interface TupleRow {
  object_type: string;
  object_id: string;
  relation: string;
  user_type: string;
  user_id: string;
  /** '' for plain objects and typed wildcards. */
  user_relation: string;
  /** '' when the tuple carries no condition. */
  condition_name: string;
  condition_context: string | null;
  inserted_at: string;
}

export function rowFromKey(tk: TupleKey, insertedAt = ''): TupleRow {
  const [objectType, objectId] = splitObject(tk.object);
  const user = parseUser(tk.user);
  const context = tk.condition?.context;
  return {
    object_type: objectType,
    object_id: objectId,
    relation: tk.relation,
    user_type: user.type,
    user_id: user.id,
    user_relation: user.relation,
    condition_name: tk.condition?.name ?? '',
    condition_context: context && Object.keys(context).length > 0 ? canonicalJson(context) : null,
    inserted_at: insertedAt,
  };
}

export function rowUser(row: TupleRow): string {
  return formatUser(row.user_type, row.user_id, row.user_relation);
}

export function rowObject(row: TupleRow): string {
  return `${row.object_type}:${row.object_id}`;
}

/** The tuple in OpenFGA's wire shape; `condition` only when the tuple has one. */
export function rowToKey(row: TupleRow): TupleKey {
  const key: TupleKey = { user: rowUser(row), relation: row.relation, object: rowObject(row) };
  if (row.condition_name !== '') {
    key.condition = { name: row.condition_name };
    if (row.condition_context !== null) key.condition.context = JSON.parse(row.condition_context) as object;
  }
  return key;
}

/** `document:1#viewer@user:anne`, as OpenFGA prints tuples in messages. */
export function rowToString(row: TupleRow): string {
  return `${rowObject(row)}#${row.relation}@${rowUser(row)}`;
}
