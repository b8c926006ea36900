import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { sha256Hex } from '../../../src/lib/crypto.ts';
import { canonicalJson } from '../../../src/lib/canonical-json.ts';

const countTenants = (h: Harness) =>
  (h.services.storage.sql.prepare('SELECT count(*) AS n FROM tenants').get() as { n: number }).n;

describe('Idempotency-Key on POST', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());

  it('replays the first response to a retry without creating a second tenant', async () => {
    const headers = { 'Idempotency-Key': 'create-acme-1' };
    const first = await h.json('POST', '/admin/v1/tenants', { body: { name: 'Acme' }, headers });
    const retry = await h.json('POST', '/admin/v1/tenants', { body: { name: 'Acme' }, headers });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.res.headers.get('idempotency-replayed')).toBe('true');
    expect(retry.res.headers.get('etag')).toBe(first.res.headers.get('etag'));
    expect(retry.res.headers.get('location')).toBe(first.res.headers.get('location'));
    expect(countTenants(h)).toBe(1);
  });

  it('treats the same body with keys in another order as the same request', async () => {
    const headers = { 'Idempotency-Key': 'reordered' };
    await h.json('POST', '/admin/v1/tenants', { rawBody: '{"name":"Acme","slug":"acme"}', headers });
    const retry = await h.json('POST', '/admin/v1/tenants', { rawBody: '{"slug":"acme", "name":"Acme"}', headers });
    expect(retry.status).toBe(201);
    expect(countTenants(h)).toBe(1);
  });

  it('refuses the same key with a different body with 422 and changes nothing', async () => {
    const headers = { 'Idempotency-Key': 'k1' };
    await h.json('POST', '/admin/v1/tenants', { body: { name: 'Acme' }, headers });
    const other = await h.json('POST', '/admin/v1/tenants', { body: { name: 'Globex' }, headers });
    expect([other.status, other.body.code]).toEqual([422, 'idempotency_key_reused']);
    expect(countTenants(h)).toBe(1);
  });

  it('refuses the same key on another route with 422', async () => {
    const t = await h.createTenant('Acme');
    const headers = { 'Idempotency-Key': 'shared' };
    await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`, { headers });
    const res = await h.json('POST', `/admin/v1/tenants/${t.id}/resume`, { headers });
    expect([res.status, res.body.code]).toEqual([422, 'idempotency_key_reused']);
  });

  it('keeps keys private to the credential that sent them', async () => {
    const other = h.services.apiKeys.createPlatformKey({ name: 'second' }, { type: 'system', id: null, credential_id: null, ip: null, user_agent: null, request_id: null });
    const headers = { 'Idempotency-Key': 'same' };
    await h.json('POST', '/admin/v1/tenants', { body: { name: 'One' }, headers });
    const second = await h.json('POST', '/admin/v1/tenants', { key: other.key, body: { name: 'One' }, headers });
    expect(second.status).toBe(201);
    expect(second.res.headers.get('idempotency-replayed')).toBeNull();
    expect(countTenants(h)).toBe(2);
  });

  it('runs concurrent retries of one key exactly once', async () => {
    const headers = { 'Idempotency-Key': 'race' };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => h.json('POST', '/admin/v1/tenants', { body: { name: 'Racer' }, headers })),
    );
    expect(countTenants(h)).toBe(1);
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.code).toBe('idempotency_request_in_progress');
  });

  it('replays an error response too, without a second effect', async () => {
    await h.createTenant('Taken', 'taken');
    const headers = { 'Idempotency-Key': 'dup-slug' };
    const first = await h.json('POST', '/admin/v1/tenants', { body: { name: 'X', slug: 'taken' }, headers });
    const retry = await h.json('POST', '/admin/v1/tenants', { body: { name: 'X', slug: 'taken' }, headers });
    expect([first.status, retry.status]).toEqual([409, 409]);
    expect(retry.res.headers.get('idempotency-replayed')).toBe('true');
  });

  it('returns a created API key\'s secret on replay but never stores it in the clear', async () => {
    const t = await h.createTenant('Keys');
    const headers = { 'Idempotency-Key': 'key-1' };
    const first = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { body: { name: 'ci', scopes: ['admin'] }, headers });
    const retry = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { body: { name: 'ci', scopes: ['admin'] }, headers });
    expect(retry.body.key).toBe(first.body.key);
    const stored = h.services.storage.sql.prepare('SELECT response_sealed FROM idempotency_keys').all() as { response_sealed: string }[];
    const secret = (first.body.key as string).split('_').slice(3).join('_');
    for (const row of stored) expect(row.response_sealed).not.toContain(secret);
    const keys = h.services.storage.sql.prepare('SELECT count(*) AS n FROM api_keys WHERE tenant_id = ?').get(t.id) as { n: number };
    expect(keys.n).toBe(1);
  });

  it('forgets a key after 24 hours', async () => {
    const headers = { 'Idempotency-Key': 'old' };
    await h.json('POST', '/admin/v1/tenants', { body: { name: 'Day one' }, headers });
    h.clock.advance(24 * 3600 * 1000 + 1);
    const later = await h.json('POST', '/admin/v1/tenants', { body: { name: 'Day one' }, headers });
    expect(later.status).toBe(201);
    expect(later.res.headers.get('idempotency-replayed')).toBeNull();
    expect(countTenants(h)).toBe(2);
  });

  it('refuses an unusable Idempotency-Key header with 400', async () => {
    const res = await h.json('POST', '/admin/v1/tenants', { body: { name: 'x' }, headers: { 'Idempotency-Key': 'k'.repeat(300) } });
    expect([res.status, res.body.code]).toEqual([400, 'invalid_idempotency_key']);
    expect(countTenants(h)).toBe(0);
  });

  it('frees a key whose request never finished (its process died) after five minutes, and the late finish changes nothing', async () => {
    const store = h.services.storage.unscoped.idempotency;
    const credential = h.platformKey.split('_').slice(1, 3).join('_');
    const body = { name: 'Crashed' };
    const requestHash = sha256Hex(`POST /admin/v1/tenants\n${canonicalJson(body)}`);
    const crashedAt = h.clock.now().toISOString();
    // What a process that died mid-request leaves behind: a reservation with no reply.
    store.reserve({ credential_id: credential, idempotency_key: 'crash-1', request_hash: requestHash, created_at: crashedAt, expires_at: new Date(Date.parse(crashedAt) + 86_400_000).toISOString() }, crashedAt);
    const headers = { 'Idempotency-Key': 'crash-1' };
    const early = await h.json('POST', '/admin/v1/tenants', { body, headers });
    expect([early.status, early.body.code]).toEqual([409, 'idempotency_request_in_progress']);
    h.clock.advance(5 * 60_000 + 1);
    const retried = await h.json('POST', '/admin/v1/tenants', { body, headers });
    expect(retried.status).toBe(201);
    // Had the first process lived on, its reply arrives too late to replace the retry's.
    store.complete(credential, 'crash-1', crashedAt, 500, 'stale');
    store.release(credential, 'crash-1', crashedAt);
    const replayed = await h.json('POST', '/admin/v1/tenants', { body, headers });
    expect([replayed.status, replayed.body.id, replayed.res.headers.get('idempotency-replayed')]).toEqual([201, retried.body.id, 'true']);
    expect(countTenants(h)).toBe(1);
  });
});

describe('ETags and If-Match', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());

  it('returns an ETag that changes with every update', async () => {
    const t = await h.createTenant('Acme');
    const read = await h.json('GET', `/admin/v1/tenants/${t.id}`);
    const updated = await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: 'Acme 2' }, headers: { 'If-Match': read.res.headers.get('etag')! } });
    expect(updated.status).toBe(200);
    expect(updated.res.headers.get('etag')).not.toBe(read.res.headers.get('etag'));
  });

  it('answers 412 to a stale ETag and keeps the newer data', async () => {
    const t = await h.createTenant('Acme');
    const etag = (await h.json('GET', `/admin/v1/tenants/${t.id}`)).res.headers.get('etag')!;
    await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: 'First' }, headers: { 'If-Match': etag } });
    const stale = await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: 'Second' }, headers: { 'If-Match': etag } });
    expect([stale.status, stale.body.code]).toEqual([412, 'precondition_failed']);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`)).body.name).toBe('First');
  });

  it('lets exactly one of two concurrent updates with the same ETag win', async () => {
    const t = await h.createTenant('Acme');
    const etag = (await h.json('GET', `/admin/v1/tenants/${t.id}`)).res.headers.get('etag')!;
    const results = await Promise.all(
      ['Left', 'Right'].map((name) => h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name }, headers: { 'If-Match': etag } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = results.find((r) => r.status === 200)!.body.name;
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`)).body.name).toBe(winner);
    const audit = await h.json('GET', `/admin/v1/tenants/${t.id}/audit?action=tenant.updated`);
    expect(audit.body.data).toHaveLength(1);
  });

  it('accepts weak and wildcard If-Match forms', async () => {
    const t = await h.createTenant('Acme');
    const etag = (await h.json('GET', `/admin/v1/tenants/${t.id}`)).res.headers.get('etag')!;
    expect((await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: 'A' }, headers: { 'If-Match': `W/${etag}` } })).status).toBe(200);
    expect((await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: 'B' }, headers: { 'If-Match': '*' } })).status).toBe(200);
  });

  it('answers 412 to the ETag of a deleted tenant sent to the new tenant that took its slug, addressed by slug', async () => {
    const old = await h.createTenant('Acme', 'acme');
    const stale = (await h.json('GET', '/admin/v1/tenants/acme')).res.headers.get('etag')!;
    expect((await h.request('DELETE', `/admin/v1/tenants/${old.id}`, { headers: { 'If-Match': stale } })).status).toBe(204);
    const reborn = await h.createTenant('Acme Again', 'acme');
    const current = (await h.json('GET', '/admin/v1/tenants/acme')).res.headers.get('etag')!;
    expect(current).not.toBe(stale);
    for (const ifMatch of [stale, `W/${stale}`]) {
      const res = await h.json('PATCH', '/admin/v1/tenants/acme', { body: { name: 'Hijacked' }, headers: { 'If-Match': ifMatch } });
      expect([res.status, res.body.code]).toEqual([412, 'precondition_failed']);
      expect((await h.json('POST', '/admin/v1/tenants/acme/suspend', { headers: { 'If-Match': ifMatch } })).status).toBe(412);
    }
    expect((await h.json('GET', `/admin/v1/tenants/${reborn.id}`)).body).toMatchObject({ name: 'Acme Again', status: 'active' });
    expect((await h.json('PATCH', '/admin/v1/tenants/acme', { body: { name: 'Acme 3' }, headers: { 'If-Match': current } })).status).toBe(200);
  });

  it('answers 412 to one app\'s ETag sent to another app at the same version', async () => {
    const t = await h.createTenant('Acme');
    const create = (name: string) => h.json('POST', `/admin/v1/tenants/${t.id}/apps`, { body: { name, grant_types: ['client_credentials'] } });
    const [a, b] = [await create('a'), await create('b')];
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.res.headers.get('etag')).not.toBe(b.res.headers.get('etag'));
    const wrong = await h.json('PATCH', `/admin/v1/tenants/${t.id}/apps/${b.body.id}`, { body: { name: 'b2' }, headers: { 'If-Match': a.res.headers.get('etag')! } });
    expect(wrong.status).toBe(412);
    const right = await h.json('PATCH', `/admin/v1/tenants/${t.id}/apps/${b.body.id}`, { body: { name: 'b2' }, headers: { 'If-Match': b.res.headers.get('etag')! } });
    expect([right.status, right.body.name]).toEqual([200, 'b2']);
  });

  it('reads If-Match on an app as on tenants and connections: `*`, a list and the weak form of the current ETag pass; a stale one is 412', async () => {
    const t = await h.createTenant('Acme');
    const created = await h.json('POST', `/admin/v1/tenants/${t.id}/apps`, { body: { name: 'a', grant_types: ['client_credentials'] } });
    const path = `/admin/v1/tenants/${t.id}/apps/${created.body.id}`;
    let etag = created.res.headers.get('etag')!;
    for (const [i, form] of [() => '*', () => `W/${etag}`, () => `"0000", ${etag}`].entries()) {
      const res = await h.json('PATCH', path, { body: { name: `a${i}` }, headers: { 'If-Match': form() } });
      expect([form(), res.status]).toEqual([form(), 200]);
      etag = res.res.headers.get('etag')!;
    }
    const stale = await h.json('PATCH', path, { body: { name: 'stale' }, headers: { 'If-Match': created.res.headers.get('etag')! } });
    expect([stale.status, stale.body.code]).toEqual([412, 'precondition_failed']);
    expect((await h.json('GET', path)).body.name).toBe('a2');
  });

  it('answers a tenant PATCH with the current name and slug with the unchanged tenant: same ETag and updated_at, no audit event; If-Match still checked', async () => {
    const t = await h.createTenant('Acme', 'acme');
    const read = await h.json('GET', `/admin/v1/tenants/${t.id}`);
    const etag = read.res.headers.get('etag')!;
    const events = (await h.json('GET', `/admin/v1/tenants/${t.id}/audit`)).body.data.length;
    h.clock.advance(60_000);
    for (const body of [{ name: 'Acme' }, { slug: 'acme' }, { name: 'Acme', slug: 'acme' }, { name: '  Acme ' }]) {
      const r = await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body, headers: { 'If-Match': etag } });
      expect([body, r.status, r.res.headers.get('etag')]).toEqual([body, 200, etag]);
      expect(r.body).toEqual(read.body);
    }
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}/audit`)).body.data).toHaveLength(events);
    const stale = await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: 'Acme' }, headers: { 'If-Match': '"0000"' } });
    expect([stale.status, stale.body.code]).toEqual([412, 'precondition_failed']);
    // Only what differs is a change: the same slug beside a new name is one event, with the new name.
    const renamed = await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: 'Acme Corp', slug: 'acme' }, headers: { 'If-Match': etag } });
    expect([renamed.status, renamed.body.slug, renamed.body.updated_at]).toEqual([200, 'acme', h.clock.now().toISOString()]);
    expect(renamed.res.headers.get('etag')).not.toBe(etag);
    const audit = (await h.json('GET', `/admin/v1/tenants/${t.id}/audit?action=tenant.updated`)).body.data;
    expect(audit).toHaveLength(1);
  });

  it('answers an app PATCH that changes nothing (empty, the current values, lists in another order) with the same ETag and no audit event', async () => {
    const t = await h.createTenant('Acme');
    const created = await h.json('POST', `/admin/v1/tenants/${t.id}/apps`, {
      body: { name: 'web', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['https://app.example/b', 'https://app.example/a'], initiate_login_uri: 'https://app.example/login' },
    });
    const path = `/admin/v1/tenants/${t.id}/apps/${created.body.id}`;
    const read = await h.json('GET', path);
    const etag = read.res.headers.get('etag')!;
    h.clock.advance(60_000);
    const same = { name: 'web', grant_types: ['refresh_token', 'authorization_code'], redirect_uris: ['https://app.example/a', 'https://app.example/b'], post_logout_redirect_uris: [], backchannel_logout_uri: null, initiate_login_uri: 'https://app.example/login', authz_scopes: [] };
    for (const [body, ifMatch] of [[{}, undefined], [same, etag], [{ name: 'web' }, `W/${etag}`]] as const) {
      const r = await h.json('PATCH', path, { body, headers: ifMatch ? { 'If-Match': ifMatch } : {} });
      expect([r.status, r.res.headers.get('etag')]).toEqual([200, etag]);
      expect(r.body).toEqual(read.body);
    }
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}/audit?action=oidc.app.updated`)).body.data).toHaveLength(0);
    expect((await h.json('PATCH', path, { body: {}, headers: { 'If-Match': '"0000"' } })).status).toBe(412);
    const changed = await h.json('PATCH', path, { body: { redirect_uris: ['https://app.example/a'] }, headers: { 'If-Match': etag } });
    expect([changed.status, changed.body.redirect_uris]).toEqual([200, ['https://app.example/a']]);
    expect(changed.res.headers.get('etag')).not.toBe(etag);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}/audit?action=oidc.app.updated`)).body.data).toHaveLength(1);
  });

  it('guards suspend and delete with If-Match too', async () => {
    const t = await h.createTenant('Acme');
    const res = await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`, { headers: { 'If-Match': '"999"' } });
    expect(res.status).toBe(412);
    const del = await h.json('DELETE', `/admin/v1/tenants/${t.id}`, { headers: { 'If-Match': '"999"' } });
    expect(del.status).toBe(412);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`)).body.status).toBe('active');
  });
});
