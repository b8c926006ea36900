import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { openDatabase, type RawDatabase } from './database.ts';
import { migrate, migrationStatus } from './migrate.ts';
import { migrations, type Migration } from './migrations/index.ts';
import { tempDir } from '../../test/helpers/harness.ts';

/**
 * Migrations are tested with data at each step: for version N, `seed` writes rows at version
 * N-1 and `verify` checks them after N is applied. Add a case with every new migration.
 */
const dataCases: Record<number, { seed(db: RawDatabase): void; verify(db: RawDatabase): void }> = {
  1: {
    seed() {},
    verify(db) {
      db.prepare(
        `INSERT INTO tenants (id, slug, name, status, authz_store_id, created_at, updated_at) VALUES ('t1', 'acme', 'Acme', 'active', 's1', 'x', 'x')`,
      ).run();
      expect(() =>
        db.prepare(`INSERT INTO tenants (id, slug, name, status, authz_store_id, created_at, updated_at) VALUES ('t2', 'acme', 'B', 'active', 's2', 'x', 'x')`).run(),
      ).toThrow(/UNIQUE/);
      expect(() => db.prepare(`INSERT INTO api_keys (id, tenant_id, name, secret_hash, created_at) VALUES ('k', 'nope', 'n', 'h', 'x')`).run()).toThrow(
        /FOREIGN KEY/,
      );
    },
  },
  2: {
    seed() {},
    verify(db) {
      // The authz tables are exercised by the engine's own suites; here: it applies over version 1 data.
      expect(db.prepare(`SELECT count(*) AS n FROM tenants`).get()).toEqual({ n: 1 });
    },
  },
  3: {
    seed() {},
    verify(db) {
      // Covered in depth by migrations/0003_directory.test.ts; here: it applies over version 2 data.
      expect(db.prepare(`SELECT count(*) AS n FROM tenants`).get()).toEqual({ n: 1 });
      expect(db.prepare(`SELECT count(*) AS n FROM directory_users`).get()).toEqual({ n: 0 });
    },
  },
  4: {
    seed(db) {
      expect(db.prepare(`SELECT id FROM tenants`).get()).toEqual({ id: 't1' });
    },
    verify(db) {
      db.prepare(
        `INSERT INTO sso_connections (id, tenant_id, name, protocol, status, attribute_preset, created_at, updated_at)
         VALUES ('c1', 't1', 'Okta', 'saml', 'testing', 'okta', 'x', 'x')`,
      ).run();
      db.prepare(
        `INSERT INTO sessions (id, tenant_id, user_id, connection_id, amr, acr, groups, authenticated_at, expires_at)
         VALUES ('s1', 't1', 'u1', 'c1', 'pwd', 'a', '[]', 'x', 'y')`,
      ).run();
      expect(() =>
        db.prepare(`INSERT INTO sso_connections (id, tenant_id, name, protocol, status, attribute_preset, created_at, updated_at) VALUES ('c2', 't1', 'x', 'ws-fed', 'testing', 'okta', 'x', 'x')`).run(),
      ).toThrow(/CHECK/);
      expect(() =>
        db.prepare(`INSERT INTO sessions (id, tenant_id, user_id, connection_id, amr, acr, groups, authenticated_at, expires_at) VALUES ('s2', 't1', 'u1', 'nope', 'pwd', 'a', '[]', 'x', 'y')`).run(),
      ).toThrow(/FOREIGN KEY/);
      db.prepare(`INSERT INTO sso_domains (id, tenant_id, domain, verification_token, verified_at, created_at) VALUES ('d1', 't1', 'acme.test', 'k', 'x', 'x')`).run();
      db.prepare(`INSERT INTO tenants (id, slug, name, status, authz_store_id, created_at, updated_at) VALUES ('t9', 'other', 'O', 'active', 's9', 'x', 'x')`).run();
      expect(() =>
        db.prepare(`INSERT INTO sso_domains (id, tenant_id, domain, verification_token, verified_at, created_at) VALUES ('d2', 't9', 'acme.test', 'k', 'x', 'x')`).run(),
      ).toThrow(/UNIQUE/);
    },
  },
  5: {
    seed() {},
    verify(db) {
      expect(db.prepare(`SELECT count(*) AS n FROM sessions`).get()).toEqual({ n: 1 });
    },
  },
};

describe('migrations', () => {
  let dir: string;
  let db: RawDatabase;
  afterEach(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = () => {
    dir = tempDir();
    db = openDatabase(join(dir, 'p.db'));
    return db;
  };

  it('applies every migration in order, each with data from the step before', () => {
    open();
    for (const m of migrations) {
      const c = dataCases[m.version];
      expect(c, `migration ${m.version} needs a data case in migrate.test.ts`).toBeDefined();
      c?.seed(db);
      migrate(db, migrations.filter((x) => x.version <= m.version));
      c?.verify(db);
    }
    expect(migrationStatus(db).pending).toEqual([]);
  });

  it('is a no-op when the database is current', () => {
    open();
    expect(migrate(db).length).toBe(migrations.length);
    expect(migrate(db)).toEqual([]);
  });

  it('refuses a database whose applied migration differs from the shipped one', () => {
    open();
    migrate(db);
    const first = migrations[0] as Migration;
    const edited: Migration[] = [{ ...first, sql: first.sql + '\n-- edited' }, ...migrations.slice(1)];
    expect(() => migrate(db, edited)).toThrow(/differs/);
  });

  it('refuses a database written by a newer build', () => {
    open();
    const future: Migration = { version: 999, name: 'future', sql: 'CREATE TABLE future_thing (x INTEGER) STRICT;' };
    migrate(db, [...migrations, future]);
    expect(() => migrationStatus(db)).toThrow(/does not know/);
  });

  it('rolls back a migration that fails halfway', () => {
    open();
    const broken: Migration = { version: 998, name: 'broken', sql: 'CREATE TABLE half (x INTEGER) STRICT; INSERT INTO nowhere VALUES (1);' };
    expect(() => migrate(db, [...migrations, broken])).toThrow();
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'half'`).get()).toBeUndefined();
    expect(migrationStatus(db, [...migrations, broken]).pending).toEqual(['998_broken']);
  });

  it('makes audit_events append-only', () => {
    open();
    migrate(db);
    db.prepare(
      `INSERT INTO audit_events (chain, seq, id, occurred_at, action, actor_type, prev_hash, hash) VALUES ('t', 1, 'e', 'x', 'a', 'cli', 'p', 'h')`,
    ).run();
    expect(() => db.prepare(`UPDATE audit_events SET action = 'b'`).run()).toThrow(/append-only/);
    expect(() => db.prepare(`DELETE FROM audit_events`).run()).toThrow(/append-only/);
  });
});
