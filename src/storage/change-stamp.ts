import type Database from 'better-sqlite3';
import type { Sql } from './database.ts';

/**
 * A number that moves whenever the database may have changed: this connection's own writes
 * (`total_changes()`, exact) and commits by other connections, such as the CLI in another
 * process (`PRAGMA data_version`). Reading it costs a fraction of a row lookup, and it is
 * remembered for `memoMs` (1 ms) so that one request pays for it once.
 */
export class ChangeStamp {
  readonly #raw: Database.Database;
  readonly #ownChanges: Database.Statement;
  readonly #dataVersion: Database.Statement;
  #own = -1;
  #other = -1;
  #stamp = 0;
  #readAt = Number.NEGATIVE_INFINITY;
  #shared = 0;

  constructor(
    sql: Sql,
    private readonly memoMs = 1,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#raw = sql.raw;
    this.#ownChanges = sql.raw.prepare('SELECT total_changes()').pluck();
    this.#dataVersion = sql.raw.prepare('PRAGMA data_version').pluck();
  }

  /**
   * Inside a transaction rows may be uncommitted, and a rollback does not move the stamp back:
   * caches must read through while one is open.
   */
  get inTransaction(): boolean {
    return this.#raw.inTransaction;
  }

  /** As `current`, but other processes' commits are read now, not within the memo: for answers that must be exact. */
  exact(): number {
    if (this.#shared > 0 && (this.#ownChanges.get() as number) === this.#own) return this.#stamp;
    return this.#readNow();
  }

  /**
   * Runs `fn` on one exact reading taken now: every `exact()` inside it (synchronously) returns
   * that reading instead of reading again, unless this connection writes meanwhile. Only for a
   * caller whose answers inside `fn` are all to requests it had received in full before calling:
   * the reading is later than each of them, so it is as exact for each as a reading of its own.
   */
  shared<T>(fn: () => T): T {
    this.#readNow();
    this.#shared++;
    try {
      return fn();
    } finally {
      this.#shared--;
    }
  }

  #readNow(): number {
    this.#readAt = Number.NEGATIVE_INFINITY;
    return this.current();
  }

  current(): number {
    const t = this.now();
    const own = this.#ownChanges.get() as number;
    if (own === this.#own && t - this.#readAt < this.memoMs) return this.#stamp;
    const other = this.#dataVersion.get() as number;
    this.#readAt = t;
    if (own !== this.#own || other !== this.#other) {
      this.#own = own;
      this.#other = other;
      this.#stamp++;
    }
    return this.#stamp;
  }
}

/**
 * Small hot rows (credentials, tenants) read on every request, kept while the database has not
 * changed. Any change anywhere empties the whole cache: simple, and writes are rare next to reads.
 */
export class StampedCache<V> {
  readonly #entries = new Map<string, V>();
  #stamp = -1;

  constructor(
    private readonly stamp: ChangeStamp,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, load: () => V): V {
    if (this.stamp.inTransaction) return load();
    const now = this.stamp.current();
    if (now !== this.#stamp) {
      this.#entries.clear();
      this.#stamp = now;
    }
    if (this.#entries.has(key)) return this.#entries.get(key) as V;
    const value = load();
    if (this.#entries.size >= this.maxEntries) this.#entries.clear();
    this.#entries.set(key, value);
    return value;
  }
}
