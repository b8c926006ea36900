import { validationError } from '../errors.ts';
import { isUserset, isValidObject, parseUser, splitObject } from '../model/keys.ts';
import type { SqliteTupleStore } from './tuple-store.ts';
import { rowUser } from './tuple-row.ts';

/**
 * Bulk deletion for the rest of the service (deprovisioning, group deletion): every tuple whose
 * user is exactly `user` (`user:123`, or a userset such as `group:eng#member`), or whose object
 * is `object`. Runs inside the caller's transaction and records each deletion in the changelog.
 */
export function deleteTuplesFor(
  tuples: SqliteTupleStore,
  storeId: string,
  target: { user: string } | { object: string },
  now: Date,
): number {
  let rows;
  if ('user' in target) {
    if (!isValidObject(target.user) && !isUserset(target.user)) throw validationError(`invalid user '${target.user}'`);
    const user = parseUser(target.user);
    rows = tuples.byExactUser(storeId, user.type, user.id, user.relation);
  } else {
    if (!isValidObject(target.object)) throw validationError(`invalid object '${target.object}'`);
    const [type, id] = splitObject(target.object);
    rows = tuples.byExactObject(storeId, type, id);
  }
  for (const row of rows) {
    tuples.delete(storeId, row);
    tuples.recordChange(storeId, row, 'delete', now, rowUser(row));
  }
  return rows.length;
}
