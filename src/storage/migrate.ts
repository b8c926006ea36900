import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { RawDatabase } from './database.ts';
import { migrations, type Migration } from './migrations/index.ts';

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

function checksum(m: Migration): string {
  return createHash('sha256').update(m.sql).digest('hex');
}

function ensureTable(db: RawDatabase): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
}

/**
 * Compares the applied migrations with the ones this build knows. An applied migration whose
 * name or checksum differs, or one this build does not know, means the database was written by
 * a different version: refuse rather than guess.
 */
export function migrationStatus(db: RawDatabase, list: readonly Migration[] = migrations): MigrationStatus {
  ensureTable(db);
  const rows = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
    checksum: string;
  }[];
  const known = new Map(list.map((m) => [m.version, m]));
  for (const row of rows) {
    const m = known.get(row.version);
    if (!m) throw new Error(`Database has migration ${row.version} (${row.name}) that this build does not know.`);
    if (m.name !== row.name || checksum(m) !== row.checksum) {
      throw new Error(`Migration ${row.version} (${row.name}) differs from the one this build ships.`);
    }
  }
  const applied = new Set(rows.map((r) => r.version));
  return {
    applied: rows.map((r) => `${r.version}_${r.name}`),
    pending: list.filter((m) => !applied.has(m.version)).map((m) => `${m.version}_${m.name}`),
  };
}

/** How `migrate` waits for the write lock while another process (another replica) migrates. */
export interface MigrateOptions {
  now?: () => Date;
  /** How long to wait for another process's write lock before giving up (default 120 s). */
  lockTimeoutMs?: number;
  /** Told once the write lock has been busy for a second, then every few seconds while waiting (`waitedMs` so far). */
  onLockWait?: (waitedMs: number) => void;
}

export const DEFAULT_MIGRATION_LOCK_TIMEOUT_MS = 120_000;
/** Contention shorter than this (another process's ordinary write) is not worth a notice. */
const FIRST_LOCK_WAIT_MS = 1_000;
const LOCK_WAIT_STEP_MS = 5_000;

/**
 * Applies pending migrations in order, each in its own transaction (skipped if another process
 * applied it first). Forward only. A migration on a big database can hold the write lock far
 * longer than the connection's busy timeout, so taking the lock here waits up to
 * `lockTimeoutMs` instead, saying so; every other statement keeps the ordinary busy timeout.
 */
export function migrate(db: RawDatabase, list: readonly Migration[] = migrations, options: MigrateOptions = {}): string[] {
  const now = options.now ?? (() => new Date());
  migrationStatus(db, list);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const done: string[] = [];
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    // Another process (a replica starting at the same time) may have applied it since the read
    // above: decide again under the write lock.
    const ran = withMigrationLock(db, options, () => {
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return false;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(
        m.version,
        m.name,
        checksum(m),
        now().toISOString(),
      );
      return true;
    });
    if (ran) done.push(`${m.version}_${m.name}`);
  }
  return done;
}

/** Runs `fn` in a write transaction, waiting for the write lock up to the migration lock timeout. */
function withMigrationLock<T>(db: RawDatabase, options: MigrateOptions, fn: () => T): T {
  const timeoutMs = options.lockTimeoutMs ?? DEFAULT_MIGRATION_LOCK_TIMEOUT_MS;
  const ordinary = db.pragma('busy_timeout', { simple: true }) as number;
  const started = Date.now();
  let waitMs = Math.min(FIRST_LOCK_WAIT_MS, timeoutMs);
  try {
    for (;;) {
      db.pragma(`busy_timeout = ${waitMs}`);
      try {
        return db.transaction(fn).immediate();
      } catch (err) {
        if (!isBusy(err)) throw err;
      }
      const waited = Date.now() - started;
      if (waited >= timeoutMs) {
        throw new Error(
          `Gave up migrating: waited ${timeoutMs / 1000} s for the database write lock, which another process holds ` +
            '(another replica still migrating?). Start again once it has finished, or raise PORTCULLIS_MIGRATION_LOCK_TIMEOUT_MS.',
        );
      }
      options.onLockWait?.(waited);
      waitMs = Math.min(LOCK_WAIT_STEP_MS, timeoutMs - waited);
    }
  } finally {
    db.pragma(`busy_timeout = ${ordinary}`);
  }
}

function isBusy(err: unknown): boolean {
  return typeof (err as { code?: unknown }).code === 'string' && (err as { code: string }).code.startsWith('SQLITE_BUSY');
}

/** True for a database file no migration has touched yet (absent, or without applied migrations): a new data directory. */
export function isNewDatabase(file: string): boolean {
  if (!existsSync(file)) return true;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get()) return true;
    return db.prepare('SELECT 1 FROM schema_migrations LIMIT 1').get() === undefined;
  } finally {
    db.close();
  }
}
