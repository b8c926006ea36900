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
  created_at: string;
  attempts: number;
  last_error_code: string | null;
}

/**
 * The `authz_pending_tuple_work` table (migration 0019). Keyed by authorization store, not by
 * tenant: the remote server knows stores, and the drain runs below the tenant layer.
 */
export class SqlitePendingTupleWork {
  constructor(private readonly sql: Sql) {}

  /** Queues work for `storeId` (call inside the transaction of the change that caused it); its seq. */
  add(storeId: string, work: TupleWork, actor: Actor, at: string): number {
    const { kind, ...body } = work;
    const r = this.sql
      .prepare(`INSERT INTO authz_pending_tuple_work (store_id, kind, work_json, actor_json, created_at) VALUES (?, ?, ?, ?, ?)`)
      .run(storeId, kind, JSON.stringify(body), JSON.stringify(actor), at);
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
    createdAt: r.created_at,
    attempts: r.attempts,
    lastErrorCode: r.last_error_code,
  };
}
