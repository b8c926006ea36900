import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { Actor, AuditEventInput } from '../../audit/events.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Staged } from '../../lib/staged.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { OpenFgaError, isConditionConflict } from '../errors.ts';
import { bulkDeleteEvent, recordAll, tupleEvents, type AuthzAuditDeps } from '../wrappers/audited.ts';
import type { OpenFgaEngine } from './engine.ts';
import { SqliteDrainLeases } from './drain-lease.ts';
import { toOpenFgaError } from './errors.ts';
import { SqlitePendingTupleWork, type PendingTupleWork, type TupleWork, type TupleWorkOutcome } from './pending-store.ts';
import { applyIdempotently, deleteTuplesForObject, deleteTuplesForUser } from './tuples.ts';

export interface PendingTupleQueueDeps extends AuthzAuditDeps {
  clock: Clock;
  metrics: Metrics;
  logger?: Logger;
}

/** What the drain learnt about work a flush in this process is waiting for. */
interface Outcome {
  since: number;
  count?: number;
  error?: unknown;
}

/** Outcomes nobody collected (a rolled-back stage, a flush never awaited) are dropped after this. */
const OUTCOME_TTL_MS = 10 * 60_000;
/** A drain's lease on its store, renewed every third of it while the drain runs; lapses when its process died. */
const LEASE_MS = 30_000;
/** How often a drain waiting for another process' checks whether it is done. */
const LEASE_POLL_MS = 50;

/**
 * The durable, ordered queue of tuple work owed to the remote OpenFGA server. `enqueue` writes
 * the work in the caller's transaction (it commits or rolls back with the change that caused
 * it); draining applies a store's work oldest first, one remote call at a time, deleting each row
 * (and writing its audit event, attributed to whoever caused it) only once the server took it.
 * A failure stops the store's drain at that row, so later work waits behind it: order matters
 * (a removal queued while the server was down must land before a re-add queued after it).
 * Work the server refuses for good (400: the model lacks the relation; 409: the tuple exists with
 * another condition) would never succeed and would hold the store forever: it is dropped, logged
 * and counted, and its flush throws the error. A flush whose work another process applied gets
 * the count (or the refusal) that process recorded with the removal.
 *
 * One drain per store at a time in this process; a second caller joins the running one. Across
 * processes sharing a data directory, a lease in the database (renewed while the drain runs)
 * lets one drain a store at a time; another process' drain waits for it (its work is applied
 * by the holder, in order), or takes over once the lease lapsed (the holder died). A process
 * shutting down (`close`) gives its leases up once the changes it is sending are done.
 */
export class PendingTupleQueue {
  readonly #rows: SqlitePendingTupleWork;
  readonly #leases: SqliteDrainLeases;
  /** This queue's name on the leases (one per process). */
  readonly #owner = randomUUID();
  readonly #drains = new Map<string, Promise<number>>();
  readonly #outcomes = new Map<number, Outcome>();
  readonly #attempts: Counter<'outcome'>;
  #closing = false;

  constructor(
    private readonly engine: OpenFgaEngine,
    private readonly deps: PendingTupleQueueDeps,
  ) {
    this.#rows = new SqlitePendingTupleWork(deps.storage.sql);
    this.#leases = new SqliteDrainLeases(deps.storage.sql);
    deps.metrics.gauge('portcullis_authz_pending_tuple_work', 'Tuple changes queued for the remote OpenFGA server, not yet applied.', [], (set) =>
      set({}, this.#rows.count()),
    );
    deps.metrics.gauge(
      'portcullis_authz_pending_tuple_work_oldest_seconds',
      'Age in seconds of the oldest tuple change queued for the remote OpenFGA server (0 when none is): alert when it keeps growing, the queue is not draining.',
      [],
      (set) => set({}, this.#oldestAgeSeconds()),
    );
    this.#attempts = deps.metrics.counter(
      'portcullis_authz_pending_tuple_work_attempts_total',
      'Attempts to apply queued tuple work on the OpenFGA server: applied, failed (kept for a retry) or discarded (refused for good: invalid, or a condition conflict).',
      ['outcome'],
    );
  }

  /**
   * Queues work for a store (inside the caller's transaction). Its `flush` drains the store up to
   * and including this work and resolves to the number of tuples it sent; it throws when the
   * drain stopped before this work was applied, or the server refused this work.
   */
  enqueue(storeId: string, work: TupleWork, actor: Actor): Staged<number> {
    const now = this.deps.clock.now();
    const seq = this.#rows.add(storeId, work, actor, now.toISOString(), this.#owner);
    this.#outcomes.set(seq, { since: now.getTime() });
    let settled: Promise<number> | undefined;
    return { staged: 0, remote: true, flush: () => (settled ??= this.#settle(storeId, seq)) };
  }

  /** Applies the store's pending work, oldest first; at once when there is none. Resolves to how many were applied. */
  finish(storeId: string): Promise<number> {
    if (!this.#drains.has(storeId) && !this.#rows.hasAny(storeId)) return Promise.resolve(0);
    return this.#drain(storeId);
  }

  /**
   * Drains every store with pending work, longest waiting first (the housekeeping). A store that
   * fails is left for the next pass; when the server cannot be reached at all the pass stops there
   * (every store would wait out the same timeouts).
   */
  async finishAll(): Promise<{ stores: number; failed: number; applied: number }> {
    const out = { stores: 0, failed: 0, applied: 0 };
    this.#purgeUnclaimedOutcomes();
    for (const storeId of this.#rows.stores()) {
      out.stores++;
      try {
        out.applied += await this.#drain(storeId);
      } catch (err) {
        out.failed++;
        if (err instanceof OpenFgaError && err.code === 'unavailable') break;
      }
    }
    return out;
  }

  /**
   * Stops draining for a shutdown (before the database closes): no drain starts or takes another
   * change; the changes being sent are awaited, at most `timeoutMs`, and then this process' leases
   * are released, so another process goes on with the stores' queues at once rather than after
   * the lease lapsed (30 s). A store whose change is still on its way when the time is up keeps
   * its lease until it lapses: released, another process could apply later work of the store
   * before that change lands (the order the lease exists for).
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    const running = Promise.allSettled([...this.#drains.values()]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    const sending = [...this.#drains.keys()];
    if (sending.length > 0) {
      this.deps.logger?.warn({ stores: sending }, 'shutting down with tuple work still being sent to the OpenFGA server; those stores\' leases lapse in 30 s');
    }
    try {
      this.#leases.releaseAll(this.#owner, sending);
    } catch {
      // They lapse on their own.
    }
  }

  async #settle(storeId: string, seq: number): Promise<number> {
    try {
      await this.#drain(storeId);
    } catch (err) {
      // A failure after this work was applied (later work of the same store) is not this flush's.
      if (this.#rows.has(seq)) {
        this.#outcomes.delete(seq);
        throw err;
      }
    }
    const outcome = this.#outcomes.get(seq);
    this.#outcomes.delete(seq);
    if (outcome?.error !== undefined) throw outcome.error;
    if (outcome?.count !== undefined) return outcome.count;
    // Another process applied it (it held the store's lease) and recorded what became of it.
    const recorded = this.deps.storage.transaction(() => this.#rows.takeOutcome(seq));
    if (recorded && 'error' in recorded) throw new OpenFgaError(recorded.error.status, recorded.error.code, recorded.error.message);
    return recorded?.applied ?? 0;
  }

  #drain(storeId: string): Promise<number> {
    let run = this.#drains.get(storeId);
    if (!run) {
      if (this.#closing) return Promise.reject(shuttingDown());
      run = this.#run(storeId);
      this.#drains.set(storeId, run);
    }
    return run;
  }

  async #run(storeId: string): Promise<number> {
    // Let #drain register this run before the first read: a caller whose work is committed either
    // joins a run that will still read it, or starts a new one.
    await null;
    let applied = 0;
    const renewal = setInterval(() => {
      try {
        this.#takeLease(storeId);
      } catch {
        // The database is busy: the loop takes the lease again before its next row.
      }
    }, LEASE_MS / 3);
    renewal.unref();
    try {
      for (;;) {
        if (this.#closing) throw shuttingDown();
        if (!this.#takeLease(storeId)) {
          // Another process drains the store: it applies this process' work too, in order.
          if (!this.#rows.hasAny(storeId)) break;
          await sleep(LEASE_POLL_MS);
          continue;
        }
        const work = this.#rows.next(storeId);
        if (!work) break;
        if (await this.#apply(work)) applied++;
      }
      return applied;
    } finally {
      clearInterval(renewal);
      this.#drains.delete(storeId);
      this.#forgetStaleOutcomes();
      try {
        this.#leases.release(storeId, this.#owner);
      } catch {
        // It lapses on its own.
      }
    }
  }

  #takeLease(storeId: string): boolean {
    const now = this.deps.clock.now();
    return this.#leases.take(storeId, this.#owner, now.toISOString(), new Date(now.getTime() + LEASE_MS).toISOString());
  }

  /** True when applied; false when discarded (refused for good); throws (the row stays) otherwise. */
  async #apply(w: PendingTupleWork): Promise<boolean> {
    let count: number;
    try {
      count = await this.#call(w);
    } catch (err) {
      const error = err instanceof OpenFgaError ? err : await toOpenFgaError(err);
      const log = { store_id: w.storeId, seq: w.seq, kind: w.work.kind, attempts: w.attempts + 1, code: error.code };
      if (!refusedForGood(error)) {
        this.deps.storage.transaction(() => this.#rows.recordFailure(w.seq, error.code, this.deps.clock.now().toISOString()));
        this.#attempts.inc({ outcome: 'failed' });
        this.deps.logger?.warn(log, 'queued authorization tuple work failed on the OpenFGA server; it stays queued');
        throw forCaller(error);
      }
      this.deps.storage.transaction(() => {
        if (this.#rows.remove(w.seq)) this.#recordFor(w, { error: { status: error.status, code: error.code, message: error.message } });
      });
      this.#attempts.inc({ outcome: 'discarded' });
      this.deps.logger?.warn(log, 'the OpenFGA server refused queued authorization tuple work for good; discarded');
      this.#record(w.seq, { error });
      return false;
    } finally {
      this.engine.markWritten(w.storeId);
    }
    this.deps.storage.transaction(() => {
      if (!this.#rows.remove(w.seq)) return;
      if (count > 0) recordAll(this.deps, w.storeId, auditEvents(w, count), w.actor);
      this.#recordFor(w, { applied: count });
    });
    this.#attempts.inc({ outcome: 'applied' });
    this.#record(w.seq, { count });
    return true;
  }

  #call({ storeId, work }: PendingTupleWork): Promise<number> {
    const api = this.engine.api;
    if (work.kind === 'change') return applyIdempotently(api, storeId, work);
    if (work.kind === 'delete_for_user') return deleteTuplesForUser(api, storeId, work.user);
    return deleteTuplesForObject(api, storeId, work.object);
  }

  /** Work another process queued: its flush there learns the outcome from the database. */
  #recordFor(w: PendingTupleWork, outcome: TupleWorkOutcome): void {
    if (w.queuedBy !== this.#owner) this.#rows.recordOutcome(w.seq, outcome, this.deps.clock.now().toISOString());
  }

  #record(seq: number, result: { count?: number; error?: unknown }): void {
    const waiting = this.#outcomes.get(seq);
    if (waiting) Object.assign(waiting, result);
  }

  #oldestAgeSeconds(): number {
    const since = this.#rows.oldestCreatedAt();
    return since === undefined ? 0 : Math.max(0, (this.deps.clock.now().getTime() - Date.parse(since)) / 1000);
  }

  /** Outcomes recorded for another process that never read them (it stopped waiting, or stopped). */
  #purgeUnclaimedOutcomes(): void {
    const stale = new Date(this.deps.clock.now().getTime() - OUTCOME_TTL_MS).toISOString();
    try {
      this.deps.storage.transaction(() => this.#rows.purgeOutcomes(stale));
    } catch (err) {
      // The database is busy: the next pass purges them; the queue's work matters more.
      this.deps.logger?.warn({ err }, 'could not purge unclaimed outcomes of queued tuple work');
    }
  }

  #forgetStaleOutcomes(): void {
    const before = this.deps.clock.now().getTime() - OUTCOME_TTL_MS;
    for (const [seq, o] of this.#outcomes) if (o.since < before) this.#outcomes.delete(seq);
  }
}

/**
 * Whether no retry of the work can succeed: a validation error (400), or a write of a tuple that
 * exists with a different condition (409 `Aborted`, as OpenFGA answers it; its other 409s are
 * transaction conflicts worth a retry, and the message is all that tells them apart).
 */
function refusedForGood(error: OpenFgaError): boolean {
  return error.status === 400 || isConditionConflict(error);
}

/** What a flush gets when this process stopped draining: its work stays queued for another process, or the next start. */
function shuttingDown(): OpenFgaError {
  return new OpenFgaError(503, 'unavailable', 'Portcullis is shutting down: the tuple work stays queued and is applied by another process or after the restart.');
}

/**
 * A server that refuses Portcullis' own credential (401, 403: its key rotated on the server only)
 * is Portcullis' fault, not the caller's: relayed as is, a SCIM IdP or an admin would be told that
 * their own credential is bad. They get 503, to retry later; the server's answer is the cause.
 */
function forCaller(error: OpenFgaError): OpenFgaError {
  if (error.status !== 401 && error.status !== 403) return error;
  return new OpenFgaError(503, 'unavailable', `The OpenFGA server refused Portcullis' credential (${error.code}).`, { cause: error });
}

/** The same events the in-transaction (embedded) path writes for this work. */
function auditEvents({ storeId, work }: PendingTupleWork, count: number): AuditEventInput[] {
  if (work.kind === 'change') return tupleEvents(storeId, work.writes, work.deletes, { source: 'directory' });
  return [bulkDeleteEvent(storeId, work.kind === 'delete_for_user' ? { user: work.user } : { object: work.object }, count)];
}
