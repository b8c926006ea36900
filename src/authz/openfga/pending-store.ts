import type { TupleKey, TupleKeyWithoutCondition } from '@openfga/sdk';
import type { Actor } from '../../audit/events.ts';
import type { Sql } from '../../storage/database.ts';

/** One piece of tuple work owed to the remote server, as `StagedTupleWriter` staged it. */
export type TupleWork =
  | { kind: 'change'; writes: TupleKey[]; deletes: TupleKeyWithoutCondition[] }
  | { kind: 'delete_for_user'; user: string }
  | { kind: 'delete_for_object'; object: string };

export interface PendingTupleWork {
  /** Order of the work within its store (and across stores: one increasing sequence, never reused). */
  seq: number;
  storeId: string;
  work: TupleWork;
  actor: Actor;
  /** The process (its queue's id) that queued it; null for work queued before migration 0022. */
  queuedBy: string | null;
  createdAt: string;
  /** Failed attempts so far, and the server's error code of the last one. */
  attempts: number;
  lastErrorCode: string | null;
}

interface Row {
  seq: number;
  store_id: string;
  kind: TupleWork['kind'];
  work_json: string;
  actor_json: string;
  queued_by: string | null;
  created_at: string;
  attempts: number;
  last_error_code: string | null;
}

/** What became of work a process applied for another (`authz_pending_tuple_outcomes`, migration 0022). */
export type TupleWorkOutcome = { applied: number } | { error: { status: number; code: string; message: string } };

/**
 * The `authz_pending_tuple_work` table (migration 0019), and the outcomes of work applied by
 * another process than the one that queued it (0022). Keyed by authorization store, not by
 * tenant: the remote server knows stores, and the drain runs below the tenant layer.
 */
export class SqlitePendingTupleWork {
  constructor(private readonly sql: Sql) {}

  /** Queues work for `storeId` (call inside the transaction of the change that caused it); its seq. */
  add(storeId: string, work: TupleWork, actor: Actor, at: string, queuedBy: string | null = null): number {
    const { kind, ...body } = work;
    const r = this.sql
      .prepare(`INSERT INTO authz_pending_tuple_work (store_id, kind, work_json, actor_json, queued_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(storeId, kind, JSON.stringify(body), JSON.stringify(actor), queuedBy, at);
    return Number(r.lastInsertRowid);
  }

  /** The store's oldest pending work. */
  next(storeId: string): PendingTupleWork | undefined {
    const row = this.sql.prepare<[string], Row>(`SELECT * FROM authz_pending_tuple_work WHERE store_id = ? ORDER BY seq LIMIT 1`).get(storeId);
    return row && fromRow(row);
  }

  has(seq: number): boolean {
    return this.sql.prepare(`SELECT 1 FROM authz_pending_tuple_work WHERE seq = ?`).get(seq) !== undefined;
  }

  hasAny(storeId: string): boolean {
    return this.sql.prepare(`SELECT 1 FROM authz_pending_tuple_work WHERE store_id = ? LIMIT 1`).get(storeId) !== undefined;
  }

  /** False when it was gone already (another process applied it). */
  remove(seq: number): boolean {
    return this.sql.prepare(`DELETE FROM authz_pending_tuple_work WHERE seq = ?`).run(seq).changes > 0;
  }

  /** Keeps what became of work applied for another process (call in the transaction that removes it). */
  /** Drops every piece of work queued for the store (its tenant was deleted: the store goes, nothing is owed to it). */
  dropStore(storeId: string): number {
    return this.sql.prepare('DELETE FROM authz_pending_tuple_work WHERE store_id = ?').run(storeId).changes;
  }

  recordOutcome(seq: number, outcome: TupleWorkOutcome, at: string): void {
    const e = 'error' in outcome ? outcome.error : undefined;
    this.sql
      .prepare(`INSERT OR REPLACE INTO authz_pending_tuple_outcomes (seq, applied, error_status, error_code, error_message, recorded_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(seq, e ? null : (outcome as { applied: number }).applied, e?.status ?? null, e?.code ?? null, e?.message ?? null, at);
  }

  /** The outcome another process recorded for `seq`, deleted as it is read; undefined when there is none. */
  takeOutcome(seq: number): TupleWorkOutcome | undefined {
    const r = this.sql
      .prepare<[number], { applied: number | null; error_status: number | null; error_code: string | null; error_message: string | null }>(
        `DELETE FROM authz_pending_tuple_outcomes WHERE seq = ? RETURNING applied, error_status, error_code, error_message`,
      )
      .get(seq);
    if (!r) return undefined;
    if (r.applied !== null) return { applied: r.applied };
    return { error: { status: r.error_status ?? 500, code: r.error_code ?? 'internal_error', message: r.error_message ?? '' } };
  }

  /** Deletes outcomes recorded before `before` (their process stopped waiting); how many. */
  purgeOutcomes(before: string): number {
    return this.sql.prepare(`DELETE FROM authz_pending_tuple_outcomes WHERE recorded_at < ?`).run(before).changes;
  }

  recordFailure(seq: number, errorCode: string, at: string): void {
    this.sql.prepare(`UPDATE authz_pending_tuple_work SET attempts = attempts + 1, last_error_code = ?, last_attempt_at = ? WHERE seq = ?`).run(errorCode, at, seq);
  }

  /** Every store with pending work, the one waiting longest first. */
  stores(): string[] {
    return this.sql
      .prepare<[], { store_id: string }>(`SELECT store_id FROM authz_pending_tuple_work GROUP BY store_id ORDER BY min(seq)`)
      .all()
      .map((r) => r.store_id);
  }

  /** When the oldest work still queued (any store) was queued; undefined when none is. */
  oldestCreatedAt(): string | undefined {
    return this.sql.prepare<[], { created_at: string }>(`SELECT created_at FROM authz_pending_tuple_work ORDER BY seq LIMIT 1`).get()?.created_at;
  }

  count(): number {
    return (this.sql.prepare<[], { n: number }>(`SELECT count(*) AS n FROM authz_pending_tuple_work`).get() as { n: number }).n;
  }
}

function fromRow(r: Row): PendingTupleWork {
  return {
    seq: r.seq,
    storeId: r.store_id,
    work: { kind: r.kind, ...JSON.parse(r.work_json) } as TupleWork,
    actor: JSON.parse(r.actor_json) as Actor,
    queuedBy: r.queued_by,
    createdAt: r.created_at,
    attempts: r.attempts,
    lastErrorCode: r.last_error_code,
  };
}
