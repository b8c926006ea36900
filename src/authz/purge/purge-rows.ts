import type { Sql } from '../../storage/database.ts';

/** A deleted tenant's store not purged yet (`authz_store_purges`, migration 0023). */
export interface PendingPurge {
  storeId: string;
  tenantId: string;
  requestedAt: string;
  tuplesDeleted: number;
  queuedWorkDropped: number;
  attempts: number;
}

interface Row {
  store_id: string;
  tenant_id: string;
  requested_at: string;
  tuples_deleted: number;
  queued_work_dropped: number;
  attempts: number;
}

/** `authz_store_purges`: which deleted tenants' stores are still to be purged, and what a purge did so far. */
export class SqliteStorePurges {
  constructor(private readonly sql: Sql) {}

  /** Inside the tenant-deletion transaction; a store already scheduled stays as it is. */
  schedule(storeId: string, tenantId: string, at: string): void {
    this.sql.prepare('INSERT OR IGNORE INTO authz_store_purges (store_id, tenant_id, requested_at) VALUES (?, ?, ?)').run(storeId, tenantId, at);
  }

  /** Oldest request first. */
  pending(): PendingPurge[] {
    return this.sql
      .prepare<[], Row>(
        `SELECT store_id, tenant_id, requested_at, tuples_deleted, queued_work_dropped, attempts
         FROM authz_store_purges WHERE purged_at IS NULL ORDER BY requested_at, store_id`,
      )
      .all()
      .map((r) => ({
        storeId: r.store_id,
        tenantId: r.tenant_id,
        requestedAt: r.requested_at,
        tuplesDeleted: r.tuples_deleted,
        queuedWorkDropped: r.queued_work_dropped,
        attempts: r.attempts,
      }));
  }

  countPending(): number {
    return this.sql.prepare<[], { n: number }>('SELECT count(*) AS n FROM authz_store_purges WHERE purged_at IS NULL').get()?.n ?? 0;
  }

  addProgress(storeId: string, progress: { tuplesDeleted?: number; queuedWorkDropped?: number }): void {
    this.sql
      .prepare('UPDATE authz_store_purges SET tuples_deleted = tuples_deleted + ?, queued_work_dropped = queued_work_dropped + ? WHERE store_id = ?')
      .run(progress.tuplesDeleted ?? 0, progress.queuedWorkDropped ?? 0, storeId);
  }

  recordFailure(storeId: string, code: string, at: string): void {
    this.sql
      .prepare('UPDATE authz_store_purges SET attempts = attempts + 1, last_error_code = ?, last_attempt_at = ? WHERE store_id = ?')
      .run(code, at, storeId);
  }

  /** True when this call marked it (a purge another process finished first is not audited twice). */
  markPurged(storeId: string, at: string): boolean {
    return this.sql.prepare('UPDATE authz_store_purges SET purged_at = ?, last_attempt_at = ? WHERE store_id = ? AND purged_at IS NULL').run(at, at, storeId).changes === 1;
  }

  get(storeId: string): PendingPurge | undefined {
    const r = this.sql
      .prepare<[string], Row>('SELECT store_id, tenant_id, requested_at, tuples_deleted, queued_work_dropped, attempts FROM authz_store_purges WHERE store_id = ?')
      .get(storeId);
    return r && { storeId: r.store_id, tenantId: r.tenant_id, requestedAt: r.requested_at, tuplesDeleted: r.tuples_deleted, queuedWorkDropped: r.queued_work_dropped, attempts: r.attempts };
  }
}
