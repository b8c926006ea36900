import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { foldCase } from '../lib/case-fold.ts';

export type RawDatabase = Database.Database;

/**
 * Opens the SQLite database with the settings every process (server and CLI) must share:
 * WAL so readers never block the writer, a busy timeout so a second process waits instead of
 * failing, and enforced foreign keys.
 */
export function openDatabase(file: string): RawDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  // Migration 0009 brings stored names to the Unicode NFC that lookups use.
  db.function('unicode_nfc', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? value.normalize('NFC') : value));
  // Migration 0015 fills the folded lookup columns of emails and userNames with the app's foldCase.
  db.function('case_fold', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? foldCase(value) : value));
  return db;
}

/**
 * A thin handle over the raw database: cached prepared statements and write transactions
 * that take the write lock up front (BEGIN IMMEDIATE), so two processes never deadlock on
 * a read-to-write upgrade.
 */
/** Prepared statements kept per connection; generated SQL (SCIM filters) must not grow it forever. */
const MAX_CACHED_STATEMENTS = 2000;

export class Sql {
  readonly #statements = new Map<string, Database.Statement>();
  #depth = 0;

  constructor(readonly raw: RawDatabase) {}

  prepare<P extends unknown[] | {} = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.raw.prepare(sql);
      if (this.#statements.size >= MAX_CACHED_STATEMENTS) {
        // Evict the oldest entry (Map keeps insertion order); hot statements are re-added at once.
        this.#statements.delete(this.#statements.keys().next().value as string);
      }
      this.#statements.set(sql, stmt);
    }
    return stmt as unknown as Database.Statement<P, R>;
  }

  /** Runs `fn` in one write transaction; nested calls join the outer one. */
  transaction<T>(fn: () => T): T {
    if (this.#depth > 0 || this.raw.inTransaction) return fn();
    this.#depth++;
    try {
      return this.raw.transaction(fn).immediate();
    } finally {
      this.#depth--;
    }
  }

  close(): void {
    this.#statements.clear();
    if (this.raw.open) this.raw.close();
  }
}
