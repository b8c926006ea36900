import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { openDatabase, type RawDatabase } from './database.ts';
import { migrate, migrationStatus } from './migrate.ts';
import { migrations, type Migration } from './migrations/index.ts';
import { tempDir } from '../../test/helpers/harness.ts';
import { holdWriteLock } from '../../test/helpers/write-lock.ts';

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
    seed(db) {
      db.prepare(`INSERT INTO tenants (id, slug, name, status, authz_store_id, created_at, updated_at) VALUES ('t9', 'initech', 'Initech', 'active', 's9', 'x', 'x')`).run();
    },
    verify(db) {
      expect(db.prepare(`SELECT authz_store_id FROM tenants WHERE id = 't9'`).get()).toEqual({ authz_store_id: 's9' });
      db.prepare(`INSERT INTO authz_stores (id, name, created_at, updated_at) VALUES ('s9', 'Initech', 'x', 'x')`).run();
      const tuple = `INSERT INTO authz_tuples (store_id, object_type, object_id, relation, user_type, user_id, user_relation, condition_name, condition_context, inserted_at)
        VALUES ('s9', 'doc', '1', 'viewer', 'group', 'eng', 'member', '', NULL, 'x')`;
      db.prepare(tuple).run();
      expect(() => db.prepare(tuple).run()).toThrow(/UNIQUE/);
      expect(() => db.prepare(`INSERT INTO authz_models (store_id, id, seq, schema_version, model_json, created_at) VALUES ('nope', 'm', 1, '1.1', '{}', 'x')`).run()).toThrow(/FOREIGN KEY/);
      expect(() =>
        db.prepare(`INSERT INTO authz_changes (store_id, object_type, object_id, relation, user, condition_name, operation, occurred_at, occurred_ms) VALUES ('s9', 'doc', '1', 'viewer', 'user:a', '', 'upsert', 'x', 0)`).run(),
      ).toThrow(/CHECK/);
    },
  },
  3: {
    seed(db) {
      db.prepare(`INSERT INTO tenants (id, slug, name, status, authz_store_id, created_at, updated_at) VALUES ('t3', 'umbrella', 'Umbrella', 'active', 's3', 'x', 'x')`).run();
    },
    verify(db) {
      expect(db.prepare(`SELECT slug FROM tenants WHERE id = 't3'`).get()).toEqual({ slug: 'umbrella' });
      db.prepare(`INSERT INTO scim_directories (id, tenant_id, name, created_at) VALUES ('d3', 't3', 'Okta', 'x')`).run();
      const user = db.prepare(`INSERT INTO directory_users (id, tenant_id, directory_id, user_name, active, created_at, updated_at) VALUES (?, 't3', 'd3', ?, 1, 'x', 'x')`);
      user.run('u1', 'Ada@X');
      expect(() => user.run('u2', 'ada@x')).toThrow(/UNIQUE/);
      expect(() => db.prepare(`INSERT INTO directory_users (id, tenant_id, user_name, active, created_at, updated_at) VALUES ('u3', 'nope', 'a', 1, 'x', 'x')`).run()).toThrow(/FOREIGN KEY/);
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
      db.prepare(`INSERT INTO tenants (id, slug, name, status, authz_store_id, created_at, updated_at) VALUES ('t4', 'other', 'O', 'active', 's4', 'x', 'x')`).run();
      expect(() =>
        db.prepare(`INSERT INTO sso_domains (id, tenant_id, domain, verification_token, verified_at, created_at) VALUES ('d2', 't4', 'acme.test', 'k', 'x', 'x')`).run(),
      ).toThrow(/UNIQUE/);
    },
  },
  5: {
    seed(db) {
      db.prepare(`INSERT INTO authz_models (store_id, id, seq, schema_version, model_json, created_at) VALUES ('s9', 'm1', 1, '1.1', '{}', 'x')`).run();
    },
    verify(db) {
      expect(db.prepare(`SELECT id FROM authz_models WHERE store_id = 's9'`).get()).toEqual({ id: 'm1' });
      const row = `INSERT INTO authz_assertions (store_id, model_id, position, object, relation, user, expectation, contextual_tuples_json, context_json)
        VALUES ('s9', 'm1', 0, 'doc:1', 'viewer', 'user:a', 1, '[]', NULL)`;
      db.prepare(row).run();
      expect(() => db.prepare(row).run()).toThrow(/UNIQUE|PRIMARY KEY/);
      expect(() =>
        db.prepare(`INSERT INTO authz_assertions (store_id, model_id, position, object, relation, user, expectation, contextual_tuples_json) VALUES ('s9', 'm1', 1, 'doc:1', 'viewer', 'user:a', 2, '[]')`).run(),
      ).toThrow(/CHECK/);
    },
  },
  6: {
    seed(db) {
      db.prepare(`INSERT INTO directory_users (id, tenant_id, directory_id, user_name, active, name_family_name, created_at, updated_at) VALUES ('u6', 't3', 'd3', 'grace@x', 1, 'Hopper', 'x', 'y')`).run();
      db.prepare(`INSERT INTO directory_user_emails (user_id, position, tenant_id, value, type) VALUES ('u6', 0, 't3', 'grace@x', 'work')`).run();
    },
    verify(db) {
      const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
      const byFamilyName = `SELECT u.id FROM directory_users u WHERE u.tenant_id = 't3' AND u.directory_id = 'd3' AND u.deleted_at IS NULL AND u.name_family_name LIKE '%opp%' ORDER BY u.id`;
      expect(db.prepare(byFamilyName).all()).toEqual([{ id: 'u6' }]);
      expect(plan(byFamilyName)).toMatch(/directory_users_listing/);
      const live = `SELECT count(*) AS n FROM directory_users u INDEXED BY directory_users_live WHERE u.tenant_id = 't3' AND u.directory_id = 'd3' AND u.deleted_at IS NULL`;
      expect(db.prepare(live).get()).toEqual({ n: 2 });
      const changedSince = `SELECT count(*) AS n FROM directory_users u WHERE u.tenant_id = 't3' AND u.directory_id = 'd3' AND u.deleted_at IS NULL AND u.updated_at > 'x'`;
      expect(db.prepare(changedSince).get()).toEqual({ n: 1 });
      expect(plan(changedSince)).toMatch(/directory_users_by_updated_at \(tenant_id=\? AND directory_id=\? AND updated_at>\?\)/);
      const byWorkEmail = `SELECT user_id FROM directory_user_emails WHERE tenant_id = 't3' AND type = 'WORK' AND value LIKE '%race%'`;
      expect(db.prepare(byWorkEmail).all()).toEqual([{ user_id: 'u6' }]);
      expect(plan(byWorkEmail)).toMatch(/COVERING INDEX directory_user_emails_by_type/);
      expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name = 'directory_users_by_directory'`).get()).toBeUndefined();
    },
  },
  7: {
    seed(db) {
      const tuple = db.prepare(`INSERT INTO authz_tuples (store_id, object_type, object_id, relation, user_type, user_id, user_relation, condition_name, condition_context, inserted_at)
        VALUES ('s9', 'group', ?, 'member', ?, ?, ?, ?, NULL, 'x')`);
      tuple.run('g1', 'user', 'ada', '', '');
      tuple.run('g2', 'group', 'g1', 'member', '');
      tuple.run('g3', 'group', 'g1', 'member', 'in_office');
    },
    verify(db) {
      const columns = (db.prepare(`PRAGMA index_info(authz_tuples_by_user)`).all() as { name: string }[]).map((c) => c.name);
      expect(columns).toEqual(['store_id', 'user_type', 'user_id', 'user_relation', 'object_type', 'relation', 'condition_name']);
      const unconditionedFromG1 = `SELECT object_id FROM authz_tuples WHERE store_id = 's9' AND user_type = 'group' AND user_id = 'g1' AND user_relation = 'member'
        AND object_type = 'group' AND relation = 'member' AND condition_name = ''`;
      expect(db.prepare(unconditionedFromG1).all()).toEqual([{ object_id: 'g2' }]);
      expect((db.prepare(`EXPLAIN QUERY PLAN ${unconditionedFromG1}`).all() as { detail: string }[])[0]?.detail).toMatch(
        /COVERING INDEX authz_tuples_by_user .*condition_name=\?/,
      );
      expect(db.prepare(`SELECT count(*) AS n FROM authz_tuples WHERE store_id = 's9'`).get()).toEqual({ n: 4 });
    },
  },
  8: {
    seed(db) {
      db.prepare(
        `INSERT INTO sso_saml_settings (connection_id, idp_entity_id, idp_sso_url, want_assertions_signed, want_response_signed, clock_skew_seconds, sp_private_key_sealed, sp_certificate)
         VALUES ('c1', 'https://idp', 'https://idp/sso', 1, 0, 60, 'sealed', 'CERT')`,
      ).run();
    },
    verify(db) {
      // A connection from before rotation keeps its one SP key pair, with nothing staged or retired.
      expect(db.prepare(`SELECT sp_certificate, sp_certificate_created_at, sp_pending_certificate, sp_previous_private_key_sealed FROM sso_saml_settings WHERE connection_id = 'c1'`).get()).toEqual({
        sp_certificate: 'CERT',
        sp_certificate_created_at: null,
        sp_pending_certificate: null,
        sp_previous_private_key_sealed: null,
      });
    },
  },
  9: {
    seed(db) {
      for (const t of ['tn1', 'tn2']) {
        db.prepare(`INSERT INTO tenants (id, slug, name, status, authz_store_id, created_at, updated_at) VALUES (?, ?, ?, 'active', ?, 'x', 'x')`).run(t, t, t, `s_${t}`);
      }
      const user = db.prepare(`INSERT INTO directory_users (id, tenant_id, user_name, active, created_at, updated_at) VALUES (?, ?, ?, 1, 'x', 'x')`);
      const email = db.prepare(`INSERT INTO directory_user_emails (user_id, position, tenant_id, value) VALUES (?, 0, ?, ?)`);
      // Stored as sent before userName and emails were normalised: e + U+0301 (NFD).
      user.run('u_nfd', 'tn1', 'jose\u0301@acme.test');
      email.run('u_nfd', 'tn1', 'jose\u0301@acme.test');
      user.run('u_ascii', 'tn1', 'ada@acme.test');
      email.run('u_ascii', 'tn1', 'ada@acme.test');
      // The same person twice in one tenant, once per spelling: left for an admin to resolve.
      user.run('u_twice_nfd', 'tn2', 'rene\u0301@acme.test');
      user.run('u_twice_nfc', 'tn2', 'ren\u00e9@acme.test');
      user.run('u_other_tenant', 'tn2', 'jose\u0301@acme.test');
    },
    verify(db) {
      const users = Object.fromEntries(
        (db.prepare(`SELECT id, user_name, version FROM directory_users WHERE tenant_id IN ('tn1', 'tn2')`).all() as { id: string; user_name: string; version: number }[]).map((u) => [u.id, [u.user_name, u.version]]),
      );
      expect(users).toEqual({
        u_nfd: ['jos\u00e9@acme.test', 2],
        u_ascii: ['ada@acme.test', 1],
        u_twice_nfd: ['rene\u0301@acme.test', 1],
        u_twice_nfc: ['ren\u00e9@acme.test', 1],
        u_other_tenant: ['jos\u00e9@acme.test', 2],
      });
      expect(db.prepare(`SELECT user_id, value FROM directory_user_emails WHERE tenant_id = 'tn1' ORDER BY user_id`).all()).toEqual([
        { user_id: 'u_ascii', value: 'ada@acme.test' },
        { user_id: 'u_nfd', value: 'jos\u00e9@acme.test' },
      ]);
    },
  },
  10: {
    seed() {},
    verify(db) {
      // Connections start with nothing left to take away from a remote authorization server.
      expect(db.prepare(`SELECT id, unmap_pending FROM sso_connections WHERE id = 'c1'`).get()).toEqual({ id: 'c1', unmap_pending: null });
    },
  },
  11: {
    seed() {},
    verify(db) {
      db.prepare(`INSERT INTO sso_sp_certificate_usage (connection_id, fingerprint, last_decrypted_at) VALUES ('c1', 'AA:BB', 'x')`).run();
      expect(() => db.prepare(`INSERT INTO sso_sp_certificate_usage (connection_id, fingerprint, last_decrypted_at) VALUES ('c1', 'AA:BB', 'y')`).run()).toThrow(/UNIQUE|PRIMARY/);
    },
  },
  12: {
    seed(db) {
      db.prepare(
        `INSERT INTO sso_login_states (id, tenant_id, connection_id, purpose, interaction_uid, request_id, created_at, expires_at)
         VALUES ('ls1', 't1', 'c1', 'login', 'i1', '_r1', 'x', 'y')`,
      ).run();
    },
    verify(db) {
      // A login in flight from before is an ordinary one, and no session knows its IdP's time.
      expect(db.prepare(`SELECT forced_reauthentication FROM sso_login_states WHERE id = 'ls1'`).get()).toEqual({ forced_reauthentication: 0 });
      expect(db.prepare(`SELECT idp_authenticated_at FROM sessions WHERE id = 's1'`).get()).toEqual({ idp_authenticated_at: null });
      expect(() => db.prepare(`UPDATE sso_login_states SET forced_reauthentication = 2 WHERE id = 'ls1'`).run()).toThrow(/CHECK/);
    },
  },
  13: {
    seed(db) {
      expect(db.prepare(`SELECT connection_id FROM sso_saml_settings`).all()).toEqual([{ connection_id: 'c1' }]);
    },
    verify(db) {
      // A connection stored before keeps accepting SHA-1 signatures, as it did; a new one refuses them.
      expect(db.prepare(`SELECT allow_sha1_signatures FROM sso_saml_settings WHERE connection_id = 'c1'`).get()).toEqual({ allow_sha1_signatures: 1 });
      db.prepare(`INSERT INTO sso_connections (id, tenant_id, name, protocol, status, attribute_preset, created_at, updated_at) VALUES ('c13', 't1', 'New', 'saml', 'testing', 'okta', 'x', 'x')`).run();
      db.prepare(
        `INSERT INTO sso_saml_settings (connection_id, idp_entity_id, idp_sso_url, want_assertions_signed, want_response_signed, clock_skew_seconds, sp_private_key_sealed, sp_certificate)
         VALUES ('c13', 'https://idp', 'https://idp/sso', 1, 0, 60, 'sealed', 'CERT')`,
      ).run();
      expect(db.prepare(`SELECT allow_sha1_signatures FROM sso_saml_settings WHERE connection_id = 'c13'`).get()).toEqual({ allow_sha1_signatures: 0 });
      expect(() => db.prepare(`UPDATE sso_saml_settings SET allow_sha1_signatures = 2 WHERE connection_id = 'c13'`).run()).toThrow(/CHECK/);
    },
  },
  14: {
    seed(db) {
      db.prepare(`INSERT INTO directory_users (id, tenant_id, user_name, active, created_at, updated_at) VALUES ('u14jit', 't3', 'jit@x', 1, 'x', 'x')`).run();
    },
    verify(db) {
      // Every connection stored before is unbound; users without a directory were created just in time, the others pushed by SCIM.
      expect(db.prepare(`SELECT DISTINCT directory_id FROM sso_connections`).all()).toEqual([{ directory_id: null }]);
      expect(db.prepare(`SELECT id, pushed_by_scim FROM directory_users WHERE id IN ('u1', 'u6', 'u14jit') ORDER BY id`).all()).toEqual([
        { id: 'u1', pushed_by_scim: 1 },
        { id: 'u14jit', pushed_by_scim: 0 },
        { id: 'u6', pushed_by_scim: 1 },
      ]);
      db.prepare(`INSERT INTO sso_connections (id, tenant_id, name, protocol, status, attribute_preset, directory_id, created_at, updated_at) VALUES ('c14', 't3', 'Okta', 'saml', 'active', 'okta', 'd3', 'x', 'x')`).run();
      expect(() => db.prepare(`UPDATE sso_connections SET directory_id = 'no-such-directory' WHERE id = 'c14'`).run()).toThrow(/FOREIGN KEY/);
      expect(() => db.prepare(`UPDATE directory_users SET pushed_by_scim = 2 WHERE id = 'u14jit'`).run()).toThrow(/CHECK/);
      const bound = `SELECT 1 FROM sso_connections WHERE tenant_id = 't3' AND directory_id = 'd3' AND deleted_at IS NULL LIMIT 1`;
      expect(db.prepare(`EXPLAIN QUERY PLAN ${bound}`).all().map((r) => (r as { detail: string }).detail).join(' ')).toMatch(/sso_connections_by_directory/);
      expect(db.prepare(bound).get()).toEqual({ 1: 1 });
    },
  },
  15: {
    seed(db) {
      const user = db.prepare(`INSERT INTO directory_users (id, tenant_id, directory_id, user_name, active, created_at, updated_at) VALUES (?, 't3', 'd3', ?, 1, 'x', 'x')`);
      const email = db.prepare(`INSERT INTO directory_user_emails (user_id, position, tenant_id, value) VALUES (?, 0, 't3', ?)`);
      user.run('u15elise', 'Élise');
      email.run('u15elise', 'Élise@bank.test');
      user.run('u15sigma', 'ΟΔΥΣΣΕΥΣ');
      email.run('u15sigma', 'ΟΔΥΣΣΕΥΣ@bank.test');
    },
    verify(db) {
      // Rows stored before are found by any letter case outside ASCII, through the new indexes.
      const byEmail = `SELECT user_id FROM directory_user_emails WHERE tenant_id = 't3' AND value_folded = ?`;
      expect(db.prepare(byEmail).all('élise@bank.test')).toEqual([{ user_id: 'u15elise' }]);
      expect(db.prepare(byEmail).all('οδυσσευσ@bank.test')).toEqual([{ user_id: 'u15sigma' }]);
      expect(db.prepare(byEmail).all('grace@x')).toEqual([{ user_id: 'u6' }]);
      const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('x') as { detail: string }[]).map((r) => r.detail).join('; ');
      expect(plan(byEmail)).toMatch(/directory_user_emails_by_folded_value \(tenant_id=\? AND value_folded=\?\)/);
      const byName = `SELECT id FROM directory_users WHERE tenant_id = 't3' AND user_name_folded = ? AND deleted_at IS NULL`;
      expect(db.prepare(byName).all('élise')).toEqual([{ id: 'u15elise' }]);
      expect(db.prepare(byName).all('ada@x')).toEqual([{ id: 'u1' }]);
      expect(plan(byName)).toMatch(/directory_users_by_folded_user_name \(tenant_id=\? AND user_name_folded=\?\)/);
      // What it stores next to the value is what the app's lookups fold their input with.
      expect(db.prepare(`SELECT case_fold(?) AS f`).get('ÉLISE@BANK.TEST')).toEqual({ f: 'élise@bank.test' });
    },
  },
  16: {
    seed(db) {
      db.prepare(`UPDATE directory_user_emails SET type = 'work' WHERE user_id = 'u15elise'`).run();
    },
    verify(db) {
      // `emails[type eq "work" and value co "…"]`: answered from the new index alone.
      const byType = `SELECT user_id FROM directory_user_emails WHERE tenant_id = ? AND type = ? AND instr(value_folded, ?) > 0`;
      expect(db.prepare(byType).all('t3', 'work', 'élise')).toEqual([{ user_id: 'u15elise' }]);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${byType}`).all('t3', 'work', 'x') as { detail: string }[]).map((r) => r.detail).join('; ');
      expect(plan).toMatch(/COVERING INDEX directory_user_emails_by_type_folded \(tenant_id=\? AND type=\?\)/);
    },
  },
  17: {
    seed(db) {
      expect(db.prepare(`SELECT expires_at FROM sessions WHERE id = 's1'`).get()).toEqual({ expires_at: 'y' });
    },
    verify(db) {
      // Sessions stored before keep no IdP bound; new ones may carry one.
      expect(db.prepare(`SELECT idp_session_ends_at FROM sessions WHERE id = 's1'`).get()).toEqual({ idp_session_ends_at: null });
      db.prepare(
        `INSERT INTO sessions (id, tenant_id, user_id, connection_id, amr, acr, groups, authenticated_at, expires_at, idp_session_ends_at)
         VALUES ('s17', 't1', 'u1', 'c1', 'pwd', 'a', '[]', 'x', 'y', '2026-01-01T00:00:00.000Z')`,
      ).run();
      expect(db.prepare(`SELECT idp_session_ends_at FROM sessions WHERE id = 's17'`).get()).toEqual({ idp_session_ends_at: '2026-01-01T00:00:00.000Z' });
      expect(() => db.prepare(`UPDATE sessions SET idp_session_ends_at = x'00' WHERE id = 's17'`).run()).toThrow(/cannot store BLOB value in TEXT column/);
    },
  },
  18: {
    seed(db) {
      db.prepare(`INSERT INTO sso_connections (id, tenant_id, name, protocol, status, attribute_preset, created_at, updated_at) VALUES ('c18', 't1', 'Google', 'oidc', 'active', 'generic', 'x', 'x')`).run();
      db.prepare(`INSERT INTO sso_oidc_settings (connection_id, issuer, client_id, scopes) VALUES ('c18', 'https://accounts.google.com', 'g', 'openid email')`).run();
    },
    verify(db) {
      // A Google connection stored before lists no domain: it signs nobody in until an admin lists them.
      expect(db.prepare(`SELECT issuer, allowed_google_domains FROM sso_oidc_settings WHERE connection_id = 'c18'`).get()).toEqual({ issuer: 'https://accounts.google.com', allowed_google_domains: null });
      db.prepare(`UPDATE sso_oidc_settings SET allowed_google_domains = 'acme.com globex.com' WHERE connection_id = 'c18'`).run();
      expect(db.prepare(`SELECT allowed_google_domains FROM sso_oidc_settings WHERE connection_id = 'c18'`).get()).toEqual({ allowed_google_domains: 'acme.com globex.com' });
    },
  },
  19: {
    seed(db) {
      expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'authz_pending_tuple_work'`).get()).toBeUndefined();
    },
    verify(db) {
      // Nothing existing is queued: the embedded engine never queues, and the OpenFGA backend applied its work before.
      expect(db.prepare(`SELECT count(*) AS n FROM authz_pending_tuple_work`).get()).toEqual({ n: 0 });
      const add = db.prepare(`INSERT INTO authz_pending_tuple_work (store_id, kind, work_json, actor_json, created_at) VALUES (?, ?, '{}', '{}', 'x')`);
      const first = Number(add.run('s1', 'change').lastInsertRowid);
      db.prepare(`DELETE FROM authz_pending_tuple_work WHERE seq = ?`).run(first);
      expect(Number(add.run('s1', 'delete_for_user').lastInsertRowid)).toBeGreaterThan(first);
      expect(db.prepare(`SELECT attempts, last_error_code FROM authz_pending_tuple_work WHERE store_id = 's1'`).get()).toEqual({ attempts: 0, last_error_code: null });
      expect(() => add.run('s1', 'anything')).toThrow(/CHECK/);
      expect(() => db.prepare(`UPDATE authz_pending_tuple_work SET attempts = 'many'`).run()).toThrow(/cannot store TEXT value in INTEGER column/);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM authz_pending_tuple_work WHERE store_id = ? ORDER BY seq LIMIT 1`).all('s1') as { detail: string }[]).map((r) => r.detail).join('; ');
      expect(plan).toMatch(/authz_pending_tuple_work_by_store \(store_id=\?\)/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    },
  },
  20: {
    seed(db) {
      db.prepare(`INSERT INTO authz_pending_tuple_work (store_id, kind, work_json, actor_json, created_at) VALUES ('s20', 'change', '{}', '{}', 'x')`).run();
    },
    verify(db) {
      // Work queued before the upgrade stays queued, and no store has a drain yet.
      expect(db.prepare(`SELECT kind FROM authz_pending_tuple_work WHERE store_id = 's20'`).all()).toEqual([{ kind: 'change' }]);
      expect(db.prepare(`SELECT count(*) AS n FROM authz_pending_tuple_drains`).get()).toEqual({ n: 0 });
      const take = db.prepare(`INSERT INTO authz_pending_tuple_drains (store_id, owner, expires_at) VALUES ('s20', ?, 'x')`);
      take.run('a');
      expect(() => take.run('b')).toThrow(/UNIQUE/);
      expect(() => db.prepare(`INSERT INTO authz_pending_tuple_drains (store_id, owner, expires_at) VALUES ('s21', 'a', NULL)`).run()).toThrow(/NOT NULL/);
    },
  },
  21: {
    seed(db) {
      db.prepare(`UPDATE sso_saml_settings SET metadata_url = 'https://idp.example/metadata', metadata_refreshed_at = 'x' WHERE connection_id = 'c13'`).run();
    },
    verify(db) {
      // Connections stored before have no bound (their metadata was not kept) and the usual refresh schedule.
      expect(db.prepare(`SELECT connection_id, metadata_valid_until, metadata_cache_duration_seconds FROM sso_saml_settings ORDER BY connection_id`).all()).toEqual([
        { connection_id: 'c1', metadata_valid_until: null, metadata_cache_duration_seconds: null },
        { connection_id: 'c13', metadata_valid_until: null, metadata_cache_duration_seconds: null },
      ]);
      db.prepare(`UPDATE sso_saml_settings SET metadata_valid_until = '2030-01-31T00:00:00.000Z', metadata_cache_duration_seconds = 3600 WHERE connection_id = 'c13'`).run();
      expect(db.prepare(`SELECT metadata_valid_until, metadata_cache_duration_seconds FROM sso_saml_settings WHERE connection_id = 'c13'`).get()).toEqual({ metadata_valid_until: '2030-01-31T00:00:00.000Z', metadata_cache_duration_seconds: 3600 });
      expect(() => db.prepare(`UPDATE sso_saml_settings SET metadata_cache_duration_seconds = -1 WHERE connection_id = 'c13'`).run()).toThrow(/CHECK/);
      expect(() => db.prepare(`UPDATE sso_saml_settings SET metadata_valid_until = x'00' WHERE connection_id = 'c13'`).run()).toThrow(/cannot store BLOB value in TEXT column/);
    },
  },
  22: {
    seed() {},
    verify(db) {
      // Work queued before the upgrade stays queued, by no known process.
      expect(db.prepare(`SELECT kind, queued_by FROM authz_pending_tuple_work WHERE store_id = 's20'`).all()).toEqual([{ kind: 'change', queued_by: null }]);
      const outcome = db.prepare(`INSERT INTO authz_pending_tuple_outcomes (seq, applied, error_status, error_code, error_message, recorded_at) VALUES (?, ?, ?, ?, ?, 'x')`);
      outcome.run(1, 3, null, null, null);
      outcome.run(2, null, 400, 'validation_error', 'no such relation');
      expect(() => outcome.run(3, null, null, null, null)).toThrow(/CHECK/);
      expect(() => outcome.run(4, 1, 400, 'validation_error', 'both')).toThrow(/CHECK/);
      expect(() => outcome.run(1, 0, null, null, null)).toThrow(/UNIQUE|PRIMARY KEY/);
      expect(() => db.prepare(`UPDATE authz_pending_tuple_outcomes SET applied = 'two' WHERE seq = 1`).run()).toThrow(/cannot store TEXT value in INTEGER column/);
    },
  },
  23: {
    seed(db) {
      const tenant = db.prepare(`INSERT INTO tenants (id, slug, name, status, authz_store_id, created_at, updated_at, deleted_at) VALUES (?, ?, ?, ?, ?, 'c', 'u', ?)`);
      tenant.run('t23a', 'gone23', 'Gone', 'deleted', 's23a', 'd23');
      tenant.run('t23b', 'live23', 'Live', 'active', 's23b', null);
    },
    verify(db) {
      // A tenant deleted before the upgrade has its store scheduled for purging; a live one not.
      expect(db.prepare(`SELECT store_id, tenant_id, requested_at, purged_at, tuples_deleted, attempts FROM authz_store_purges`).all()).toEqual([
        { store_id: 's23a', tenant_id: 't23a', requested_at: 'd23', purged_at: null, tuples_deleted: 0, attempts: 0 },
      ]);
      expect(() => db.prepare(`INSERT INTO authz_store_purges (store_id, tenant_id, requested_at) VALUES ('s23a', 't23a', 'x')`).run()).toThrow(/UNIQUE|PRIMARY KEY/);
      expect(() => db.prepare(`UPDATE authz_store_purges SET attempts = 'many'`).run()).toThrow(/cannot store TEXT value in INTEGER column/);
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

  it('waits for a write lock another process holds, says so while waiting, gives up after the configured time, and keeps the ordinary busy timeout', async () => {
    open();
    migrate(db, migrations.slice(0, -1));
    const holder = await holdWriteLock(join(dir, 'p.db'), 4000);
    const waits: number[] = [];
    expect(() => migrate(db, migrations, { lockTimeoutMs: 2000, onLockWait: (ms) => waits.push(ms) })).toThrow(
      /waited 2 s for the database write lock.*another process/,
    );
    expect(waits.length).toBeGreaterThan(0);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(migrationStatus(db).pending).toHaveLength(1);
    await holder.released;
    expect(migrate(db, migrations, { lockTimeoutMs: 2000 })).toHaveLength(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });
});
