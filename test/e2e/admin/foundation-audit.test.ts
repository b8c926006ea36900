import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { snapshotTenant } from '../../helpers/admin-routes.ts';
import { SCOPES } from '../../../src/apikeys/scopes.ts';
import { encodeCursor } from '../../../src/lib/pagination.ts';

/**
 * Adversarial cases for the admin foundation that the route matrix does not reach: idempotency
 * across credentials and tenants, revoked and foreign keys acting on keys, If-Match forms on
 * every guarded route, cursors out of context, tenant-key lists, rate-limit isolation.
 */
const count = (h: Harness, sql: string, ...args: unknown[]) => (h.services.storage.sql.prepare(sql).get(...args) as { n: number }).n;
const auditCount = (h: Harness, chain: string) => count(h, 'SELECT count(*) AS n FROM audit_events WHERE chain = ?', chain);

describe('Idempotency-Key across credentials and tenants', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());

  it('gives tenant B its own answer for a key tenant A already used, never A\'s cached reply', async () => {
    const a = await h.createTenant('Alpha');
    const b = await h.createTenant('Beta');
    const keyA = await h.tenantKey(a.id, ['admin']);
    const keyB = await h.tenantKey(b.id, ['admin']);
    const headers = { 'Idempotency-Key': 'shared-key' };
    const body = { name: 'deploy', scopes: ['authz:read'] };
    const fromA = await h.json('POST', `/admin/v1/tenants/${a.id}/api-keys`, { key: keyA.key, body, headers });
    const fromB = await h.json('POST', `/admin/v1/tenants/${b.id}/api-keys`, { key: keyB.key, body, headers });
    expect([fromA.status, fromB.status]).toEqual([201, 201]);
    expect(fromB.res.headers.get('idempotency-replayed')).toBeNull();
    expect(fromB.body.tenant_id).toBe(b.id);
    expect(fromB.body.key).not.toBe(fromA.body.key);
    // B replaying A's exact request (A's path) is refused as another tenant, not served from A's cache.
    const probe = await h.json('POST', `/admin/v1/tenants/${a.id}/api-keys`, { key: keyB.key, body, headers: { 'Idempotency-Key': 'k-a-probe' } });
    expect([probe.status, probe.body.code]).toEqual([404, 'not_found']);
    expect(JSON.stringify(probe.body)).not.toContain(fromA.body.key);
  });

  it('runs the request again for another key of the same tenant using the same Idempotency-Key', async () => {
    const t = await h.createTenant('Acme');
    const one = await h.tenantKey(t.id, ['admin']);
    const two = await h.tenantKey(t.id, ['admin']);
    const headers = { 'Idempotency-Key': 'per-credential' };
    const body = { name: 'ci', scopes: ['audit:read'] };
    const first = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { key: one.key, body, headers });
    const second = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { key: two.key, body, headers });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).not.toBe(first.body.id);
    expect(count(h, 'SELECT count(*) AS n FROM api_keys WHERE tenant_id = ? AND name = ?', t.id, 'ci')).toBe(2);
  });

  it('does not replay a stored reply to a credential revoked since', async () => {
    const t = await h.createTenant('Acme');
    const k = await h.tenantKey(t.id, ['admin']);
    const headers = { 'Idempotency-Key': 'before-revoke' };
    const body = { name: 'child', scopes: ['authz:read'] };
    const first = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { key: k.key, body, headers });
    expect(first.status).toBe(201);
    await h.json('DELETE', `/admin/v1/tenants/${t.id}/api-keys/${k.id}`);
    const retry = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { key: k.key, body, headers });
    expect([retry.status, retry.body.code]).toEqual([401, 'unauthenticated']);
    expect(JSON.stringify(retry.body)).not.toContain(first.body.key);
  });

  it('replays a refused request as refused, then refuses a corrected body under the same key with 422', async () => {
    const headers = { 'Idempotency-Key': 'bad-then-good' };
    const bad = await h.json('POST', '/admin/v1/tenants', { body: { name: 'x', slug: 'NOT A SLUG' }, headers });
    const again = await h.json('POST', '/admin/v1/tenants', { body: { name: 'x', slug: 'NOT A SLUG' }, headers });
    expect([bad.status, again.status, again.res.headers.get('idempotency-replayed')]).toEqual([400, 400, 'true']);
    const fixed = await h.json('POST', '/admin/v1/tenants', { body: { name: 'x', slug: 'good' }, headers });
    expect([fixed.status, fixed.body.code]).toEqual([422, 'idempotency_key_reused']);
    expect(count(h, 'SELECT count(*) AS n FROM tenants')).toBe(0);
  });

  it('writes no second audit event when a create is replayed', async () => {
    const t = await h.createTenant('Acme');
    const headers = { 'Idempotency-Key': 'once' };
    const body = { name: 'once', scopes: ['admin'] };
    await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { body, headers });
    const before = auditCount(h, t.id);
    await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { body, headers });
    expect(auditCount(h, t.id)).toBe(before);
  });

  it.each([['', 'empty'], ['has space', 'a space'], ['ünïcode', 'non-ASCII']])('refuses the Idempotency-Key %j (%s) with 400 and creates nothing', async (key) => {
    const res = await h.json('POST', '/admin/v1/tenants', { body: { name: 'x' }, headers: { 'Idempotency-Key': key } });
    expect([res.status, res.body.code]).toEqual([400, 'invalid_idempotency_key']);
    expect(count(h, 'SELECT count(*) AS n FROM tenants')).toBe(0);
  });

  it('keeps nothing for a request that failed with 5xx, so the retry runs', async () => {
    const t = await h.createTenant('Acme');
    const raw = h.services.storage.sql.raw;
    raw.exec('ALTER TABLE api_key_scopes RENAME TO api_key_scopes_away');
    const headers = { 'Idempotency-Key': 'after-500' };
    const body = { name: 'retry', scopes: ['admin'] };
    expect((await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { body, headers })).status).toBe(500);
    expect(count(h, 'SELECT count(*) AS n FROM idempotency_keys')).toBe(0);
    raw.exec('ALTER TABLE api_key_scopes_away RENAME TO api_key_scopes');
    const retry = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { body, headers });
    expect(retry.status).toBe(201);
    expect(retry.res.headers.get('idempotency-replayed')).toBeNull();
  });
});

describe('keys acting on keys', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());

  it('cannot read or revoke another tenant\'s key, or a platform key, through its own tenant\'s path', async () => {
    const a = await h.createTenant('Alpha');
    const b = await h.createTenant('Beta');
    const adminA = await h.tenantKey(a.id, ['admin']);
    const victimB = await h.tenantKey(b.id, ['admin']);
    const platformId = (h.services.storage.sql.prepare('SELECT id FROM api_keys WHERE tenant_id IS NULL').get() as { id: string }).id;
    const before = snapshotTenant(h, b.id);
    const platformEvents = auditCount(h, 'platform');
    for (const id of [victimB.id, platformId]) {
      for (const method of ['GET', 'DELETE']) {
        const res = await h.json(method, `/admin/v1/tenants/${a.id}/api-keys/${id}`, { key: adminA.key });
        expect([res.status, res.body.code]).toEqual([404, 'not_found']);
      }
    }
    expect(snapshotTenant(h, b.id)).toEqual(before);
    expect((await h.json('GET', `/admin/v1/tenants/${b.id}`, { key: victimB.key })).status).toBe(200);
    expect((await h.json('GET', '/admin/v1/tenants')).status).toBe(200);
    expect(auditCount(h, 'platform')).toBe(platformEvents);
  });

  it('refuses scopes beyond the tenant vocabulary and platform-only operations to a full tenant key', async () => {
    const t = await h.createTenant('Acme');
    const full = await h.tenantKey(t.id, [...SCOPES]);
    const before = snapshotTenant(h, t.id);
    const platformScope = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { key: full.key, body: { name: 'p', scopes: ['platform'] } });
    expect([platformScope.status, platformScope.body.code]).toEqual([400, 'invalid_request']);
    const tenantIdField = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { key: full.key, body: { name: 'p', scopes: ['admin'], tenant_id: null } });
    expect([tenantIdField.status, tenantIdField.body.code]).toEqual([400, 'invalid_request']);
    for (const [method, path] of [['POST', '/admin/v1/tenants'], ['POST', `/admin/v1/tenants/${t.id}/suspend`], ['DELETE', `/admin/v1/tenants/${t.id}`]] as const) {
      const res = await h.json(method, path, { key: full.key, body: method === 'POST' && path.endsWith('tenants') ? { name: 'Mine' } : undefined });
      expect([res.status, res.body.code]).toEqual([403, 'platform_key_required']);
    }
    expect(snapshotTenant(h, t.id)).toEqual(before);
  });

  it('lets a key revoke itself, after which it is refused and the revocation is audited once', async () => {
    const t = await h.createTenant('Acme');
    const self = await h.tenantKey(t.id, ['admin']);
    const res = await h.json('DELETE', `/admin/v1/tenants/${t.id}/api-keys/${self.id}`, { key: self.key });
    expect(res.status).toBe(200);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: self.key })).status).toBe(401);
    const events = h.services.storage.unscoped.auditChain(t.id).query({ action: 'api_key.revoked', order: 'asc', limit: 10 });
    expect(events.map((e) => [e.target?.id, e.actor.credential_id])).toEqual([[self.id, self.id]]);
  });

  it('refuses every route to the keys of a suspended tenant with 403 and changes nothing', async () => {
    const t = await h.createTenant('Paused');
    const k = await h.tenantKey(t.id, [...SCOPES]);
    const other = await h.tenantKey(t.id, ['authz:read']);
    await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`);
    const before = snapshotTenant(h, t.id);
    const calls: [string, string, unknown?][] = [
      ['GET', '/admin/v1/tenants'],
      ['PATCH', `/admin/v1/tenants/${t.id}`, { name: 'x' }],
      ['POST', `/admin/v1/tenants/${t.id}/resume`],
      ['POST', `/admin/v1/tenants/${t.id}/api-keys`, { name: 'n', scopes: ['admin'] }],
      ['DELETE', `/admin/v1/tenants/${t.id}/api-keys/${other.id}`],
      ['GET', `/admin/v1/tenants/${t.id}/audit`],
      ['GET', `/admin/v1/tenants/${t.id}/audit/export`],
    ];
    for (const [method, path, body] of calls) {
      const res = await h.json(method, path, { key: k.key, body });
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 403, 'tenant_suspended']);
    }
    expect(snapshotTenant(h, t.id)).toEqual(before);
  });
});

describe('If-Match on every guarded route', () => {
  let h: Harness;
  let t: { id: string };
  beforeEach(async () => {
    h = new Harness();
    t = await h.createTenant('Acme');
  });
  afterEach(() => h.close());

  const guarded = (id: string) => [
    ['PATCH', `/admin/v1/tenants/${id}`, { name: 'Changed' }],
    ['POST', `/admin/v1/tenants/${id}/suspend`, undefined],
    ['DELETE', `/admin/v1/tenants/${id}`, undefined],
  ] as const;

  it.each(['"999"', 'garbage', '', '"1"x', 'W/"2"', '"0", "2"'])('answers 412 to If-Match %j everywhere and changes nothing', async (ifMatch) => {
    for (const [method, path, body] of guarded(t.id)) {
      const before = snapshotTenant(h, t.id);
      const res = await h.json(method, path, { body, headers: { 'If-Match': ifMatch } });
      expect([method, res.status, res.body.code]).toEqual([method, 412, 'precondition_failed']);
      expect(snapshotTenant(h, t.id)).toEqual(before);
    }
  });

  it('refuses an If-Match longer than 200 characters with 400', async () => {
    const res = await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: 'x' }, headers: { 'If-Match': `"${'1'.repeat(300)}"` } });
    expect([res.status, res.body.code]).toEqual([400, 'invalid_request']);
  });

  it('accepts the current ETag inside a list, then resume with a wildcard, then delete with the weak form', async () => {
    const etag = (await h.json('GET', `/admin/v1/tenants/${t.id}`)).res.headers.get('etag')!;
    const suspended = await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`, { headers: { 'If-Match': `"77", ${etag}` } });
    expect([suspended.status, suspended.body.status]).toEqual([200, 'suspended']);
    const resumed = await h.json('POST', `/admin/v1/tenants/${t.id}/resume`, { headers: { 'If-Match': '*' } });
    expect(resumed.status).toBe(200);
    const del = await h.request('DELETE', `/admin/v1/tenants/${t.id}`, { headers: { 'If-Match': `W/${resumed.res.headers.get('etag')}` } });
    expect(del.status).toBe(204);
  });
});

describe('lists out of context', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());

  it('applies a tenant key\'s status filter and cursor to its one-tenant list like the platform list does', async () => {
    const t = await h.createTenant('Acme');
    const k = await h.tenantKey(t.id, ['admin']);
    const suspended = await h.json('GET', '/admin/v1/tenants?status=suspended', { key: k.key });
    expect([suspended.status, suspended.body.data]).toEqual([200, []]);
    const bad = await h.json('GET', '/admin/v1/tenants?cursor=!!!', { key: k.key });
    expect([bad.status, bad.body.code]).toEqual([400, 'invalid_cursor']);
    const past = await h.json('GET', `/admin/v1/tenants?cursor=${encodeCursor(t.id)}`, { key: k.key });
    expect(past.body).toEqual({ data: [], next_cursor: null });
    expect((await h.json('GET', '/admin/v1/tenants?status=active', { key: k.key })).body.data).toHaveLength(1);
  });

  it('shows only the caller\'s own audit events, whatever the query or cursor says', async () => {
    const a = await h.createTenant('Alpha');
    const b = await h.createTenant('Beta');
    for (let i = 0; i < 4; i++) await h.json('PATCH', `/admin/v1/tenants/${b.id}`, { body: { name: `B${i}` } });
    const readerA = await h.tenantKey(a.id, ['audit:read']);
    const pageB = await h.json('GET', `/admin/v1/tenants/${b.id}/audit?limit=1`);
    const queries = [
      `?tenant_id=${b.id}`,
      `?target_id=${b.id}`,
      `?cursor=${pageB.body.next_cursor}`,
      `?cursor=${encodeCursor('999')}&chain=platform`,
    ];
    for (const q of queries) {
      const res = await h.json('GET', `/admin/v1/tenants/${a.id}/audit${q}`, { key: readerA.key });
      expect(res.status, q).toBe(200);
      expect(res.body.data.every((e: { tenant_id: string }) => e.tenant_id === a.id), q).toBe(true);
    }
    const exported = await (await h.request('GET', `/admin/v1/tenants/${a.id}/audit/export?target_id=${b.id}`, { key: readerA.key })).text();
    expect(exported).toBe('');
  });

  it('never exposes the platform chain through a tenant, even one whose slug is "platform"', async () => {
    const t = await h.createTenant('Platform Inc', 'platform');
    await h.json('PATCH', `/admin/v1/tenants/platform`, { body: { name: 'Platform Inc.' } });
    const listed = await h.json('GET', '/admin/v1/tenants/platform/audit');
    expect(listed.body.data.map((e: { tenant_id: string; action: string }) => [e.tenant_id, e.action])).toEqual([
      [t.id, 'tenant.updated'],
      [t.id, 'authz.model.written'],
      [t.id, 'tenant.created'],
    ]);
    const reader = await h.tenantKey(t.id, ['audit:read']);
    const exported = await (await h.request('GET', '/admin/v1/tenants/platform/audit/export', { key: reader.key })).text();
    expect(exported).not.toMatch(/"platform":true/);
  });

  it.each([
    ['since after until', (s: string, u: string) => `since=${u}&until=${s}`, 0],
    ['since equal to until', (s: string) => `since=${s}&until=${s}`, 0],
    ['since at an event (inclusive)', (s: string) => `since=${s}`, 1],
    ['until at an event (exclusive)', (s: string) => `until=${s}`, 2],
    ['an offset time naming the same instant', () => `since=${encodeURIComponent('2026-06-01T14:01:00+02:00')}`, 1],
  ])('answers time filters with %s correctly', async (_name, query, expected) => {
    const t = await h.createTenant('Acme');
    h.clock.advance(60_000);
    await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: 'Later' } });
    const second = h.clock.now().toISOString();
    const later = new Date(h.clock.now().getTime() + 60_000).toISOString();
    const res = await h.json('GET', `/admin/v1/tenants/${t.id}/audit?${query(second, later)}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(expected);
  });
});

describe('audit time filters past year 9999', () => {
  it('refuses an until that lands past 9999 in UTC with 400, on the list and the export, instead of matching nothing', async () => {
    const h = new Harness();
    try {
      const t = await h.createTenant('Acme');
      const far = encodeURIComponent('9999-12-31T23:59:59-14:00');
      for (const path of [`/admin/v1/tenants/${t.id}/audit?until=${far}`, `/admin/v1/tenants/${t.id}/audit/export?until=${far}`]) {
        const res = await h.json('GET', path);
        expect([res.status, res.body.code]).toEqual([400, 'invalid_request']);
      }
      const latest = await h.json('GET', `/admin/v1/tenants/${t.id}/audit?until=${encodeURIComponent('9999-12-31T23:59:59Z')}`);
      expect(latest.body.data).toHaveLength(2);
    } finally {
      await h.close();
    }
  });
});

describe('rate limits per credential', () => {
  it('keeps one tenant\'s exhausted key, and a flood of bad keys, from touching anyone else\'s bucket', async () => {
    const h = new Harness({ rateLimitBurst: 6, rateLimitPerSecond: 0.01 });
    try {
      const a = await h.createTenant('Alpha');
      const b = await h.createTenant('Beta');
      const [keyA, keyB] = [await h.tenantKey(a.id, ['admin']), await h.tenantKey(b.id, ['admin'])];
      for (let i = 0; i < 8; i++) await h.request('GET', `/admin/v1/tenants/${a.id}`, { key: keyA.key });
      for (let i = 0; i < 10; i++) await h.request('GET', '/admin/v1/tenants', { key: `ptc_key_${'A'.repeat(26)}_${'x'.repeat(43)}` });
      const limited = await h.json('POST', `/admin/v1/tenants/${a.id}/api-keys`, { key: keyA.key, body: { name: 'n', scopes: ['admin'] } });
      expect([limited.status, limited.body.code]).toEqual([429, 'rate_limited']);
      expect(Number(limited.res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(count(h, 'SELECT count(*) AS n FROM api_keys WHERE tenant_id = ?', a.id)).toBe(1);
      expect((await h.request('GET', `/admin/v1/tenants/${b.id}`, { key: keyB.key })).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe('refused tenant creation', () => {
  it('writes no audit event on any chain when the slug is taken', async () => {
    const h = new Harness();
    try {
      await h.createTenant('Acme', 'acme');
      const before = count(h, 'SELECT count(*) AS n FROM audit_events');
      const res = await h.json('POST', '/admin/v1/tenants', { body: { name: 'Other', slug: 'acme' } });
      expect([res.status, res.body.code]).toEqual([409, 'slug_taken']);
      expect(count(h, 'SELECT count(*) AS n FROM audit_events')).toBe(before);
    } finally {
      await h.close();
    }
  });
});
