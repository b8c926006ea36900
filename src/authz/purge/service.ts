import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { AuditService } from '../../audit/service.ts';
import { systemActor } from '../../audit/events.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Storage } from '../../storage/storage.ts';
import { OpenFgaError } from '../errors.ts';
import { SqliteStorePurges } from './purge-rows.ts';
import type { PassBudget, PurgeProgress, StoreRemover } from './removers.ts';

export interface StorePurgeDeps {
  storage: Storage;
  audit: AuditService;
  clock: Clock;
  metrics: Metrics;
  logger?: Logger;
}

/** One housekeeping pass over the deleted tenants' stores. */
export interface StorePurgePassResult {
  /** Stores whose purge finished in this pass (one `authz.store.purged` event each). */
  purged: number;
  /** Stores whose step failed (the server unreachable, the database busy): retried next pass. */
  failed: number;
  /** Stores still to be purged after the pass (a large store takes several). */
  pending: number;
  /** Tuples deleted in this pass (embedded engine). */
  tuplesDeleted: number;
}

/**
 * Purges the authorization store of a deleted tenant: its tuples, changelog, models and
 * assertions on the embedded engine (in bounded batches, each a short transaction), the store on
 * the OpenFGA server and any tuple work still queued for it. `retire` runs in the tenant-deletion
 * transaction (it records the purge, so it survives restarts, and does the first batch); the
 * housekeeping's `runPass` does the rest, retrying what failed on the next pass. When nothing of
 * the store is left, `authz.store.purged` is recorded on the tenant's chain, where its
 * `tenant.deleted` is, attributed to the system.
 */
export class StorePurges {
  readonly #rows: SqliteStorePurges;
  readonly #outcomes: Counter<'outcome'>;

  constructor(
    private readonly deps: StorePurgeDeps,
    private readonly remover: StoreRemover,
    private readonly batchesPerPass: number,
  ) {
    this.#rows = new SqliteStorePurges(deps.storage.sql);
    this.#outcomes = deps.metrics.counter(
      'portcullis_authz_store_purges_total',
      "Deleted tenants' authorization stores: purged (nothing left), or a purge step that failed (retried by the next housekeeping pass).",
      ['outcome'],
    );
    deps.metrics.gauge('portcullis_authz_store_purges_pending', "Deleted tenants' authorization stores not purged yet.", [], (set) => set({}, this.#rows.countPending()));
  }

  /**
   * Inside the tenant-deletion transaction: schedules the purge and does its first batch. Even a
   * store that batch emptied is marked purged (and audited, by the system) by the next pass, so
   * the deletion stays one audit event, the admin's.
   */
  retire(tenantId: string, storeId: string): void {
    const at = this.deps.clock.now().toISOString();
    this.#rows.schedule(storeId, tenantId, at);
    this.#rows.addProgress(storeId, this.remover.retire(storeId, at));
  }

  async runPass(): Promise<StorePurgePassResult> {
    const out: StorePurgePassResult = { purged: 0, failed: 0, pending: 0, tuplesDeleted: 0 };
    const budget: PassBudget = { batches: this.batchesPerPass };
    for (const purge of this.#rows.pending()) {
      if (budget.batches <= 0) break;
      try {
        const drop = this.remover.dropQueuedWork;
        if (drop) this.deps.storage.transaction(() => this.#rows.addProgress(purge.storeId, { queuedWorkDropped: drop(purge.storeId) }));
        const progress = await this.remover.step(purge.storeId, budget);
        out.tuplesDeleted += progress.tuplesDeleted;
        if (this.deps.storage.transaction(() => this.#advance(purge.tenantId, purge.storeId, progress))) out.purged++;
      } catch (err) {
        out.failed++;
        const code = err instanceof OpenFgaError ? err.code : ((err as { code?: string }).code ?? 'internal_error');
        this.#outcomes.inc({ outcome: 'failed' });
        this.deps.logger?.warn({ store_id: purge.storeId, tenant_id: purge.tenantId, attempts: purge.attempts + 1, code }, 'purging a deleted tenant\'s authorization store failed; retried next pass');
        try {
          this.deps.storage.transaction(() => this.#rows.recordFailure(purge.storeId, code, this.deps.clock.now().toISOString()));
        } catch {
          // The database is busy: the attempt is not counted, the purge is still retried.
        }
        // Every other store would wait out the same timeouts.
        if (err instanceof OpenFgaError && err.code === 'unavailable') break;
      }
    }
    out.pending = this.#rows.countPending();
    return out;
  }

  /** Records the progress; when the store is gone, marks it purged and audits it. True when it did. */
  #advance(tenantId: string, storeId: string, progress: PurgeProgress): boolean {
    this.#rows.addProgress(storeId, progress);
    if (!progress.done) return false;
    const at = this.deps.clock.now().toISOString();
    if (!this.#rows.markPurged(storeId, at)) return false;
    const row = this.#rows.get(storeId);
    this.deps.audit.record(
      tenantId,
      {
        action: 'authz.store.purged',
        target: { type: 'authz_store', id: storeId },
        metadata: {
          backend: this.remover.backend,
          requested_at: row?.requestedAt,
          ...(this.remover.backend === 'embedded'
            ? { tuples_deleted: row?.tuplesDeleted ?? 0 }
            : { server: progress.server, queued_work_dropped: row?.queuedWorkDropped ?? 0 }),
        },
      },
      systemActor(),
    );
    this.#outcomes.inc({ outcome: 'purged' });
    return true;
  }
}
