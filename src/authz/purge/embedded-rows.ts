import type { Sql } from '../../storage/database.ts';

/** What one batch deleted of an embedded store's rows. */
export interface BatchResult {
  tuples: number;
  /** Every row counted against the batch's limit (tuples, changelog, assertions, models, the store). */
  rows: number;
  /** Nothing of the store is left. */
  done: boolean;
}

const TUPLE_KEY = 'object_type, object_id, relation, user_type, user_id, user_relation';

/**
 * Deletes at most `limit` rows of an embedded store (call inside one write transaction): its
 * tuples first (what checks read), then its changelog, assertions and models, and last the
 * `authz_stores` row itself. Bounded so a store of a million tuples never holds the write lock
 * for long: the caller runs as many batches as its pass allows, each its own transaction.
 */
export function deleteEmbeddedStoreBatch(sql: Sql, storeId: string, limit: number): BatchResult {
  let left = limit;
  const tuples = sql
    .prepare(`DELETE FROM authz_tuples WHERE store_id = @store AND (${TUPLE_KEY}) IN (SELECT ${TUPLE_KEY} FROM authz_tuples WHERE store_id = @store LIMIT @limit)`)
    .run({ store: storeId, limit: left }).changes;
  left -= tuples;
  const steps = [
    'DELETE FROM authz_changes WHERE id IN (SELECT id FROM authz_changes WHERE store_id = @store LIMIT @limit)',
    'DELETE FROM authz_assertions WHERE rowid IN (SELECT rowid FROM authz_assertions WHERE store_id = @store LIMIT @limit)',
    'DELETE FROM authz_models WHERE store_id = @store AND id IN (SELECT id FROM authz_models WHERE store_id = @store LIMIT @limit)',
  ];
  for (const statement of steps) {
    if (left <= 0) break;
    left -= sql.prepare(statement).run({ store: storeId, limit: left }).changes;
  }
  if (left <= 0) return { tuples, rows: limit, done: false };
  left -= sql.prepare('DELETE FROM authz_stores WHERE id = ?').run(storeId).changes;
  return { tuples, rows: limit - left, done: true };
}

/** Hides the store from the engine at once (it answers `store_id_not_found`), before its rows go. */
export function retireEmbeddedStore(sql: Sql, storeId: string, at: string): void {
  sql.prepare('UPDATE authz_stores SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL').run(at, at, storeId);
}
