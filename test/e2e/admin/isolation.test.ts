import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { ADMIN_ROUTES, seedTenant, snapshotTenant, type TenantCtx } from '../../helpers/admin-routes.ts';
import { SCOPES, type Scope } from '../../../src/apikeys/scopes.ts';

/**
 * The tenant-isolation matrix: every admin route × (no key, revoked key, other tenant's key, key
 * without the scope, right key) → 401 / 401 / 404 / 403 / 2xx, and a refused request changes
 * nothing in tenant B.
 */
describe.each(ADMIN_ROUTES)('admin route $name', (route) => {
  let h: Harness;
  let a: TenantCtx;
  let b: TenantCtx;
  let keyA: string;
  let keyB: string;
  let revokedB: string;
  let lackingB: string;

  beforeEach(async () => {
    h = new Harness();
    a = await seedTenant(h, 'Tenant A');
    b = await seedTenant(h, 'Tenant B');
    keyA = (await h.tenantKey(a.id, [...SCOPES])).key;
    keyB = (await h.tenantKey(b.id, [...SCOPES])).key;
    const revoked = await h.tenantKey(b.id, [...SCOPES]);
    await h.json('DELETE', `/admin/v1/tenants/${b.id}/api-keys/${revoked.id}`);
    revokedB = revoked.key;
    const lacking: Scope[] = route.needs === 'platform' ? [...SCOPES] : SCOPES.filter((s) => s !== route.needs && s !== 'admin');
    lackingB = (await h.tenantKey(b.id, lacking)).key;
  });
  afterEach(() => h.close());

  const send = (key: string | null) =>
    h.json(route.method, route.path(b), { key, body: route.body?.(b), headers: { 'Idempotency-Key': `k-${Math.random()}` } });

  const refusedWithoutChange = async (key: string | null, status: number, code: string) => {
    const before = snapshotTenant(h, b.id);
    const res = await send(key);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.request_id).toMatch(/^req_/);
    expect(snapshotTenant(h, b.id)).toEqual(before);
    return res;
  };

  it('answers 401 without a key and changes nothing', async () => {
    const res = await refusedWithoutChange(null, 401, 'unauthenticated');
    expect(res.res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('answers 401 to a malformed key and changes nothing', async () => {
    await refusedWithoutChange('ptc_not-a-key', 401, 'unauthenticated');
  });

  it('answers 401 to a revoked key and changes nothing', async () => {
    await refusedWithoutChange(revokedB, 401, 'unauthenticated');
  });

  // Routes that act on no particular tenant (creating one) have no "other tenant" to probe.
  if (route.tenantScoped) {
    it('answers 404 to another tenant\'s key, exactly like a missing tenant, and changes nothing', async () => {
      const res = await refusedWithoutChange(keyA, 404, 'not_found');
      const missing = await h.json('GET', `/admin/v1/tenants/ten_01AAAAAAAAAAAAAAAAAAAAAAAA`, { key: keyA });
      expect(res.body.message).toBe(missing.body.message);
    });
  }

  it('answers 403 to a key without the needed scope and changes nothing', async () => {
    await refusedWithoutChange(route.needs === 'platform' ? keyB : lackingB, 403, route.needs === 'platform' ? 'platform_key_required' : 'insufficient_scope');
  });

  it('succeeds with the right key', async () => {
    const res = await send(route.needs === 'platform' ? h.platformKey : keyB);
    expect(res.status, JSON.stringify(res.body)).toBe(route.ok);
  });
});

describe('suspended tenants', () => {
  it('refuses the tenant\'s own keys with 403 tenant_suspended until resumed', async () => {
    const h = new Harness();
    const t = await h.createTenant('Paused');
    const key = (await h.tenantKey(t.id, ['admin'])).key;
    expect((await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`)).status).toBe(200);
    const refused = await h.json('GET', `/admin/v1/tenants/${t.id}`, { key });
    expect([refused.status, refused.body.code]).toEqual([403, 'tenant_suspended']);
    expect((await h.json('POST', `/admin/v1/tenants/${t.id}/resume`)).status).toBe(200);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`, { key })).status).toBe(200);
    await h.close();
  });

  it('makes a deleted tenant and its keys disappear', async () => {
    const h = new Harness();
    const t = await h.createTenant('Gone');
    const key = (await h.tenantKey(t.id, ['admin'])).key;
    expect((await h.request('DELETE', `/admin/v1/tenants/${t.id}`)).status).toBe(204);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`)).status).toBe(404);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`, { key })).status).toBe(401);
    const list = await h.json('GET', '/admin/v1/tenants');
    expect(list.body.data.map((x: { id: string }) => x.id)).not.toContain(t.id);
    await h.close();
  });
});
