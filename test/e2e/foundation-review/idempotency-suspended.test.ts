import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';

describe('Idempotency-Key replays for a suspended tenant', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());

  it('refuses a suspended tenant\'s key with 403 tenant_suspended instead of replaying a stored reply, and replays it again once resumed', async () => {
    const t = await h.createTenant('Acme');
    const admin = await h.tenantKey(t.id, ['admin']);
    const headers = { 'Idempotency-Key': 'mint-ci-key' };
    const body = { name: 'ci', scopes: ['authz:read'] };
    const first = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { key: admin.key, body, headers });
    expect(first.status).toBe(201);

    expect((await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`)).status).toBe(200);
    const whileSuspended = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { key: admin.key, body, headers });
    expect([whileSuspended.status, whileSuspended.body.code]).toEqual([403, 'tenant_suspended']);
    expect(whileSuspended.res.headers.get('idempotency-replayed')).toBeNull();
    expect(JSON.stringify(whileSuspended.body)).not.toContain(first.body.key);

    expect((await h.json('POST', `/admin/v1/tenants/${t.id}/resume`)).status).toBe(200);
    const resumed = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { key: admin.key, body, headers });
    expect([resumed.status, resumed.body.key, resumed.res.headers.get('idempotency-replayed')]).toEqual([201, first.body.key, 'true']);
    const keys = h.services.storage.sql.prepare('SELECT count(*) AS n FROM api_keys WHERE tenant_id = ? AND name = ?').get(t.id, 'ci') as { n: number };
    expect(keys.n).toBe(1);
  });
});
