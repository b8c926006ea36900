import { describe, expect, it } from 'vitest';
import { openDatabase } from '../database.ts';
import { migrate, migrationStatus } from '../migrate.ts';
import { foundation } from './0001_foundation.ts';
import { migrations } from './index.ts';

function databaseWithTenants(): ReturnType<typeof openDatabase> {
  const db = openDatabase(':memory:');
  migrate(db, [foundation]);
  const insert = db.prepare(
    `INSERT INTO tenants (id, slug, name, status, authz_store_id, created_at, updated_at) VALUES (?, ?, ?, 'active', ?, 't', 't')`,
  );
  insert.run('ten_A', 'a', 'A', 'store-a');
  insert.run('ten_B', 'b', 'B', 'store-b');
  return db;
}

describe('migration 0003_directory', () => {
  it('applies over a database holding tenants, leaving them intact', () => {
    const db = databaseWithTenants();
    const applied = migrate(db);
    expect(applied).toContain('3_directory');
    expect(migrationStatus(db, migrations).pending).toEqual([]);
    expect(db.prepare('SELECT count(*) AS n FROM tenants').get()).toEqual({ n: 2 });
  });

  it('keeps userNames unique per tenant case-insensitively among live users, and frees them on soft delete', () => {
    const db = databaseWithTenants();
    migrate(db);
    const user = db.prepare(
      `INSERT INTO directory_users (id, tenant_id, user_name, active, created_at, updated_at, deleted_at) VALUES (?, ?, ?, 1, 't', 't', ?)`,
    );
    user.run('usr_1', 'ten_A', 'Ada@X', null);
    expect(() => user.run('usr_2', 'ten_A', 'ada@x', null)).toThrow(/UNIQUE/);
    user.run('usr_3', 'ten_B', 'ada@x', null);
    db.prepare("UPDATE directory_users SET deleted_at = 'now' WHERE id = 'usr_1'").run();
    user.run('usr_4', 'ten_A', 'ADA@X', null);
  });

  it('types child rows (primary is 0, 1 or unset) and removes them with their user', () => {
    const db = databaseWithTenants();
    migrate(db);
    db.prepare(`INSERT INTO directory_users (id, tenant_id, user_name, active, created_at, updated_at) VALUES ('usr_1', 'ten_A', 'a', 1, 't', 't')`).run();
    const email = db.prepare('INSERT INTO directory_user_emails (user_id, position, tenant_id, value, is_primary) VALUES (?, ?, ?, ?, ?)');
    email.run('usr_1', 0, 'ten_A', 'a@x', null);
    expect(() => email.run('usr_1', 1, 'ten_A', 'b@x', 2)).toThrow(/CHECK/);
    db.prepare("DELETE FROM directory_users WHERE id = 'usr_1'").run();
    expect(db.prepare('SELECT count(*) AS n FROM directory_user_emails').get()).toEqual({ n: 0 });
  });

  it('keeps group names unique per directory, case-insensitively', () => {
    const db = databaseWithTenants();
    migrate(db);
    db.prepare(`INSERT INTO scim_directories (id, tenant_id, name, created_at) VALUES ('dir_1', 'ten_A', 'Okta', 't'), ('dir_2', 'ten_A', 'Entra', 't')`).run();
    const group = db.prepare(`INSERT INTO directory_groups (id, tenant_id, directory_id, display_name, created_at, updated_at) VALUES (?, 'ten_A', ?, ?, 't', 't')`);
    group.run('grp_1', 'dir_1', 'Finance');
    expect(() => group.run('grp_2', 'dir_1', 'FINANCE')).toThrow(/UNIQUE/);
    group.run('grp_3', 'dir_2', 'finance');
  });
});
