import type { Sql } from '../../storage/database.ts';

/**
 * The `authz_pending_tuple_drains` table (migration 0020): which process drains a store's queue.
 * Each call is its own small write transaction (BEGIN IMMEDIATE), so two processes never both
 * hold an unexpired lease on one store.
 */
export class SqliteDrainLeases {
  constructor(private readonly sql: Sql) {}

  /** Takes the store's lease for `owner` until `until`, or renews it; false while another owner's has not expired at `now`. */
  take(storeId: string, owner: string, now: string, until: string): boolean {
    return this.sql.transaction(
      () =>
        this.sql
          .prepare(
            `INSERT INTO authz_pending_tuple_drains (store_id, owner, expires_at) VALUES (?, ?, ?)
             ON CONFLICT (store_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
             WHERE authz_pending_tuple_drains.owner = excluded.owner OR authz_pending_tuple_drains.expires_at <= ?`,
          )
          .run(storeId, owner, until, now).changes > 0,
    );
  }

  /** Gives up every lease `owner` holds but those of `except` (a shutdown). */
  releaseAll(owner: string, except: readonly string[]): void {
    this.sql.transaction(() =>
      this.sql.prepare(`DELETE FROM authz_pending_tuple_drains WHERE owner = ? AND store_id NOT IN (SELECT value FROM json_each(?))`).run(owner, JSON.stringify(except)),
    );
  }

  /** Gives the lease up (nothing when another owner holds it by now). */
  release(storeId: string, owner: string): void {
    this.sql.transaction(() => this.sql.prepare(`DELETE FROM authz_pending_tuple_drains WHERE store_id = ? AND owner = ?`).run(storeId, owner));
  }
}
