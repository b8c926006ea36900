import type { TupleKey, TupleKeyWithoutCondition } from '@openfga/sdk';
import type { WriteBody } from '../engine.ts';
import { fgaError, OpenFgaError, validationError } from '../errors.ts';
import type { CompiledModel } from '../model/compile.ts';
import { isValidUserString, parseUser, tupleKeyToString } from '../model/keys.ts';
import { assertUserBytes, MAX_USER_BYTES, requireObject, requireRelation, requireTupleKey, requireUser, storedTupleKey } from './requests.ts';
import type { SqliteTupleStore } from './tuple-store.ts';
import { rowFromKey, rowToString, rowUser, type TupleRow } from './tuple-row.ts';
import { describeProblem, writeProblem } from './tuple-validation.ts';

/** OpenFGA's limits on one Write: 100 tuple changes, 32 KiB of condition context per tuple. */
export const MAX_TUPLES_PER_WRITE = 100;
export const MAX_CONDITION_CONTEXT_BYTES = 32 * 1024;

export interface WritePlan {
  deletes: TupleRow[];
  /** The deletes' keys as sent, for OpenFGA's "does not exist" message (it prints them as given). */
  deleteKeys: TupleKeyWithoutCondition[];
  writes: TupleRow[];
  onMissing: 'error' | 'ignore';
  onDuplicate: 'error' | 'ignore';
}

/**
 * Validates a Write the way OpenFGA's WriteCommand does (in its order, with its codes) and turns
 * it into rows. The model is resolved first, as OpenFGA's Write does, so a delete-only Write
 * naming a model the store does not have is refused too; deletes are not checked against it.
 */
export function planWrite(body: WriteBody, model: () => CompiledModel, now: Date, limit = MAX_TUPLES_PER_WRITE): WritePlan {
  const compiled = model();
  const writeKeys = body.writes?.tuple_keys ?? [];
  const deleteKeys = body.deletes?.tuple_keys ?? [];
  if (!Array.isArray(writeKeys) || !Array.isArray(deleteKeys)) throw validationError('invalid WriteRequest: tuple_keys must be a list');
  if (writeKeys.length === 0 && deleteKeys.length === 0) {
    throw fgaError('invalid_write_input', 'Invalid input. Make sure you provide at least one write, or at least one delete');
  }
  const writes: TupleRow[] = [];
  for (const raw of writeKeys) writes.push(validateWrite(compiled, raw, now));
  const deleteTuples = deleteKeys.map(deleteKey);
  const deletes = deleteTuples.map((key) => {
    if (!isValidUserString(key.user)) {
      throw validationError(`Invalid tuple '${tupleKeyToString(key)}'. Reason: the 'user' field is malformed`);
    }
    return rowFromKey(key);
  });
  const seen = new Set<string>();
  for (const row of [...deletes, ...writes]) {
    const key = rowToString(row);
    if (seen.has(key)) {
      throw fgaError(
        'cannot_allow_duplicate_tuples_in_one_request',
        `duplicate tuple in write: user: '${rowUser(row)}', relation: '${row.relation}', object: '${row.object_type}:${row.object_id}'`,
      );
    }
    seen.add(key);
  }
  if (seen.size > limit) {
    throw fgaError('exceeded_entity_limit', `The number of write operations exceeds the allowed limit of ${limit}`);
  }
  return { deletes, deleteKeys: deleteTuples, writes, onDuplicate: option(body.writes?.on_duplicate, 'on_duplicate'), onMissing: option(body.deletes?.on_missing, 'on_missing') };
}

/**
 * A delete's key. OpenFGA accepts an empty relation and the bare `*` user here (no tuple can have
 * them, so the delete finds nothing: `write_failed_due_to_invalid_input` unless on_missing is ignore).
 */
function deleteKey(raw: TupleKeyWithoutCondition): TupleKeyWithoutCondition {
  if (typeof raw !== 'object' || raw === null) return requireTupleKey(raw, 'WriteRequestDeletes');
  assertUserBytes(raw.user, `invalid TupleKeyWithoutCondition.User: value length must be at most ${MAX_USER_BYTES} bytes`);
  const relation = raw.relation ?? '';
  return {
    object: requireObject(raw.object, 'WriteRequestDeletesTupleKey.Object'),
    relation: relation === '' ? '' : requireRelation(relation, 'WriteRequestDeletesTupleKey.Relation'),
    user: raw.user === '*' ? '*' : requireUser(raw.user, 'WriteRequestDeletesTupleKey.User'),
  };
}

function option(value: string | undefined, name: string): 'error' | 'ignore' {
  if (value === undefined || value === null || value === '' || value === 'error') return 'error';
  if (value === 'ignore') return 'ignore';
  throw validationError(`invalid ${name} option: ${value}`);
}

function validateWrite(model: CompiledModel, raw: TupleKey, now: Date): TupleRow {
  const key = storedTupleKey(raw, 'WriteRequestWrites');
  const tk: TupleKey = raw.condition ? { ...key, condition: raw.condition } : key;
  if (tk.condition !== undefined && (typeof tk.condition !== 'object' || typeof tk.condition.name !== 'string')) {
    throw validationError(`Invalid tuple '${tupleKeyToString(tk)}'. Reason: condition name is required`);
  }
  const problem = writeProblem(model, tk);
  if (problem) throw validationError(describeProblem(tk, problem));
  const user = parseUser(tk.user);
  if (user.relation === tk.relation && `${user.type}:${user.id}` === tk.object) {
    throw validationError(`Invalid tuple '${tupleKeyToString(tk)}'. Reason: cannot write a tuple that is implicit`);
  }
  const row = rowFromKey(tk, now.toISOString());
  const size = row.condition_context === null ? 0 : Buffer.byteLength(row.condition_context);
  if (size > MAX_CONDITION_CONTEXT_BYTES) {
    throw validationError(
      `Invalid tuple '${tupleKeyToString(tk)}'. Reason: condition context size limit exceeded: ${size} bytes exceeds ${MAX_CONDITION_CONTEXT_BYTES} bytes`,
    );
  }
  return row;
}

const missing = (key: TupleKeyWithoutCondition) =>
  fgaError(
    'write_failed_due_to_invalid_input',
    `cannot delete a tuple which does not exist: user: '${key.user}', relation: '${key.relation}', object: '${key.object}': tuple to be written already existed or the tuple to be deleted did not exist`,
  );
const existing = (row: TupleRow) =>
  fgaError(
    'write_failed_due_to_invalid_input',
    `cannot write a tuple which already exists: user: '${rowUser(row)}', relation: '${row.relation}', object: '${row.object_type}:${row.object_id}': tuple to be written already existed or the tuple to be deleted did not exist`,
  );
const conflict = (row: TupleRow) =>
  new OpenFgaError(
    409,
    'Aborted',
    `transactional write failed due to conflict: attempted to write a tuple which already exists with a different condition: user: '${rowUser(row)}', relation: '${row.relation}', object: '${row.object_type}:${row.object_id}'`,
  );

/**
 * Applies a plan inside the caller's transaction; all-or-nothing (a thrown error rolls the
 * whole transaction back, so changes made before the failing tuple vanish too). Deletes go
 * first, as in OpenFGA. Returns how many tuples were actually deleted and written.
 */
export function applyWrite(tuples: SqliteTupleStore, storeId: string, plan: WritePlan, now: Date): { deleted: number; written: number } {
  let deleted = 0;
  for (const [i, row] of plan.deletes.entries()) {
    if (tuples.delete(storeId, row)) {
      deleted++;
      tuples.recordChange(storeId, row, 'delete', now, rowUser(row));
    } else if (plan.onMissing === 'error') {
      throw missing(plan.deleteKeys[i] as TupleKeyWithoutCondition);
    }
  }
  let written = 0;
  for (const row of plan.writes) {
    if (tuples.insert(storeId, row)) {
      written++;
      tuples.recordChange(storeId, row, 'write', now, rowUser(row));
      continue;
    }
    if (plan.onDuplicate === 'error') throw existing(row);
    const found = tuples.find(storeId, row) as TupleRow;
    if (found.condition_name !== row.condition_name || found.condition_context !== row.condition_context) throw conflict(row);
  }
  return { deleted, written };
}
