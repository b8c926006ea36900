import { createHash } from 'node:crypto';
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

/** Applies pending migrations in order, each in its own transaction (skipped if another process applied it first). Forward only. */
export function migrate(db: RawDatabase, list: readonly Migration[] = migrations, now = () => new Date()): string[] {
  migrationStatus(db, list);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const done: string[] = [];
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    // Another process (a replica starting at the same time) may have applied it since the read
    // above: decide again under the write lock.
    const ran = db.transaction(() => {
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return false;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(
        m.version,
        m.name,
        checksum(m),
        now().toISOString(),
      );
      return true;
    }).immediate();
    if (ran) done.push(`${m.version}_${m.name}`);
  }
  return done;
}
