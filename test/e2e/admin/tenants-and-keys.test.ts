import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';

describe('tenants', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());

  it('derives a unique slug from the name when none is given', async () => {
    const a = await h.createTenant('Acme Corp!');
    const b = await h.createTenant('Acme Corp?');
    const c = await h.createTenant('Ünïcode Ltd');
    expect([a.slug, b.slug, c.slug]).toEqual(['acme-corp', 'acme-corp-2', 'unicode-ltd']);
  });

  it('pages through every tenant exactly once with the cursor, and filters by status', async () => {
    const made = [];
    for (let i = 0; i < 7; i++) made.push((await h.createTenant(`T${i}`)).id);
    await h.json('POST', `/admin/v1/tenants/${made[0]}/suspend`);
    const seen: string[] = [];
    let cursor = '';
    do {
      const page = await h.json('GET', `/admin/v1/tenants?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.data.map((t: { id: string }) => t.id));
      cursor = page.body.next_cursor ?? '';
    } while (cursor);
    expect(seen.sort()).toEqual([...made].sort());
    const suspended = await h.json('GET', '/admin/v1/tenants?status=suspended');
    expect(suspended.body.data.map((t: { id: string }) => t.id)).toEqual([made[0]]);
  });

  it('shows a tenant key only its own tenant in the list', async () => {
    const a = await h.createTenant('A');
    await h.createTenant('B');
    const key = await h.tenantKey(a.id, ['admin']);
    const list = await h.json('GET', '/admin/v1/tenants', { key: key.key });
    expect(list.body).toEqual({ data: [expect.objectContaining({ id: a.id })], next_cursor: null });
  });

  it('reuses the slug of a deleted tenant', async () => {
    const first = await h.createTenant('Reborn', 'reborn');
    await h.request('DELETE', `/admin/v1/tenants/${first.id}`);
    const second = await h.createTenant('Reborn', 'reborn');
    expect(second.id).not.toBe(first.id);
    expect((await h.json('GET', '/admin/v1/tenants/reborn')).body.id).toBe(second.id);
  });

  it('revokes every key of a deleted tenant and records how many', async () => {
    const t = await h.createTenant('Gone');
    await h.tenantKey(t.id, ['admin']);
    await h.tenantKey(t.id, ['audit:read']);
    await h.request('DELETE', `/admin/v1/tenants/${t.id}`);
    const revoked = h.services.storage.sql.prepare('SELECT count(*) AS n FROM api_keys WHERE tenant_id = ? AND revoked_at IS NOT NULL').get(t.id) as { n: number };
    expect(revoked.n).toBe(2);
    const [deleted] = h.services.storage.unscoped.auditChain(t.id).query({ action: 'tenant.deleted', order: 'desc', limit: 1 });
    expect(deleted?.metadata).toEqual({ api_keys_revoked: 2 });
  });
});

describe('API keys', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());

  it('shows the secret once: the create response has it, reads never do, storage has only a hash', async () => {
    const t = await h.createTenant('Acme');
    const created = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { body: { name: 'ci', scopes: ['admin', 'audit:read'] } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^ptc_key_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}$/);
    const secret = (created.body.key as string).slice(-43);
    const read = await h.json('GET', `/admin/v1/tenants/${t.id}/api-keys/${created.body.id}`);
    const list = await h.json('GET', `/admin/v1/tenants/${t.id}/api-keys`);
    expect(JSON.stringify([read.body, list.body])).not.toContain(secret);
    expect(read.body.key).toBeUndefined();
    const row = h.services.storage.sql.prepare('SELECT * FROM api_keys WHERE id = ?').get(created.body.id);
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it('refuses a key whose secret is wrong even though its id is right', async () => {
    const t = await h.createTenant('Acme');
    const k = await h.tenantKey(t.id, ['admin']);
    const tampered = k.key.slice(0, -1) + (k.key.endsWith('A') ? 'B' : 'A');
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: tampered })).status).toBe(401);
  });

  it('keeps last_used_at, written at most once a minute', async () => {
    const t = await h.createTenant('Acme');
    const k = await h.tenantKey(t.id, ['admin']);
    const lastUsed = async () => (await h.json('GET', `/admin/v1/tenants/${t.id}/api-keys/${k.id}`)).body.last_used_at;
    expect(await lastUsed()).toBeNull();
    await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: k.key });
    const first = await lastUsed();
    expect(first).toBe(h.clock.now().toISOString());
    h.clock.advance(30_000);
    await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: k.key });
    expect(await lastUsed()).toBe(first);
    h.clock.advance(31_000);
    await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: k.key });
    expect(await lastUsed()).toBe(h.clock.now().toISOString());
  });

  it('lets several keys of one tenant work side by side, and revoking one leaves the others', async () => {
    const t = await h.createTenant('Acme');
    const a = await h.tenantKey(t.id, ['admin']);
    const b = await h.tenantKey(t.id, ['admin']);
    await h.json('DELETE', `/admin/v1/tenants/${t.id}/api-keys/${a.id}`);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: a.key })).status).toBe(401);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: b.key })).status).toBe(200);
    const again = await h.json('DELETE', `/admin/v1/tenants/${t.id}/api-keys/${a.id}`);
    expect(again.status).toBe(200);
    const revokedEvents = await h.json('GET', `/admin/v1/tenants/${t.id}/audit?action=api_key.revoked`);
    expect(revokedEvents.body.data).toHaveLength(1);
  });
});

describe('readiness', () => {
  it('reports not ready when the database was migrated by a newer build', async () => {
    const h = new Harness();
    h.services.storage.sql.raw
      .prepare(`INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'x', 'now')`)
      .run();
    const ready = await h.json('GET', '/readyz', { key: null });
    expect(ready.status).toBe(503);
    await h.close();
  });
});
