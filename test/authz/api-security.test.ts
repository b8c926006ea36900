import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/apikeys/scopes.ts';
import type { Harness } from '../helpers/harness.ts';
import { authzHarness, BACKENDS, type BackendName } from './backends.ts';
import { FIXTURE_MODEL, STORE_ROUTES } from './routes-table.ts';

const MISSING_STORE = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const ALL_AUTHZ = SCOPES.filter((s) => s.startsWith('authz:'));

describe.each(BACKENDS)('the /stores API refuses what it must, on every route (%s backend)', (backend: BackendName) => {
  let h: Harness;
  let stop: () => Promise<void>;
  let a: { id: string; authz_store_id: string };
  let modelId: string;
  let keyA: string;
  let keyB: string;
  let revokedA: string;

  /** What the store looks like: tuples and models. Refused requests must not change it. */
  const snapshot = async () => ({
    tuples: (await h.json('POST', `/stores/${a.authz_store_id}/read`, { body: {} })).body.tuples,
    models: (await h.json('GET', `/stores/${a.authz_store_id}/authorization-models`)).body.authorization_models.length,
  });

  beforeAll(async () => {
    ({ h, stop } = await authzHarness(backend));
    a = await h.createTenant('Tenant A');
    const b = await h.createTenant('Tenant B');
    modelId = (await h.json('POST', `/stores/${a.authz_store_id}/authorization-models`, { body: FIXTURE_MODEL })).body.authorization_model_id;
    await h.json('POST', `/stores/${a.authz_store_id}/write`, { body: { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'doc:1' }] } } });
    keyA = (await h.tenantKey(a.id, ALL_AUTHZ)).key;
    keyB = (await h.tenantKey(b.id, ALL_AUTHZ)).key;
    const revoked = await h.tenantKey(a.id, ALL_AUTHZ);
    await h.json('DELETE', `/admin/v1/tenants/${a.id}/api-keys/${revoked.id}`);
    revokedA = revoked.key;
  });
  afterAll(() => stop());

  for (const route of STORE_ROUTES) {
    describe(route.name, () => {
      const call = (key: string | null, o: { store?: string; body?: unknown; rawBody?: string } = {}) =>
        h.json(route.method, route.path(o.store ?? a.authz_store_id, modelId), { key, body: o.rawBody === undefined ? (o.body ?? route.body) : undefined, rawBody: o.rawBody });

      it('answers 401 unauthenticated without a credential, and changes nothing', async () => {
        const before = await snapshot();
        const res = await call(null);
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ code: 'unauthenticated', message: expect.any(String) });
        expect(res.res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(await snapshot()).toEqual(before);
      });

      it('answers 401 to a revoked key', async () => {
        const before = await snapshot();
        expect((await call(revokedA)).status).toBe(401);
        expect((await call('ptc_not_a_key')).body.code).toBe('unauthenticated');
        expect(await snapshot()).toEqual(before);
      });

      it("answers another tenant's key exactly like a store that does not exist", async () => {
        const before = await snapshot();
        const foreign = await call(keyB);
        const missing = await call(keyB, { store: MISSING_STORE });
        expect(foreign.status).toBe(404);
        expect(foreign.body).toEqual({ code: 'store_id_not_found', message: 'Store ID not found' });
        expect(missing.status).toBe(foreign.status);
        expect(missing.body).toEqual(foreign.body);
        expect(await snapshot()).toEqual(before);
      });

      it(`answers 403 forbidden to a key of the tenant without ${route.scope}`, async () => {
        const others = ALL_AUTHZ.filter((s) => s !== route.scope);
        const key = (await h.tenantKey(a.id, others)).key;
        const before = await snapshot();
        const res = await call(key);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('forbidden');
        expect(await snapshot()).toEqual(before);
      });

      if (route.body !== undefined) {
        it('answers 400 validation_error to malformed JSON and to a wrongly shaped body', async () => {
          const before = await snapshot();
          const malformed = await call(keyA, { rawBody: '{"tuple_key": ' });
          expect(malformed.status).toBe(400);
          expect(malformed.body.code).toBe('validation_error');
          const wrong = await call(keyA, { body: { tuple_key: 7, checks: 'x', writes: [], type_definitions: 3, type: 5, object: 1, user_filters: 2, assertions: 5 } });
          expect(wrong.status).toBe(400);
          expect(wrong.body).toEqual({ code: expect.any(String), message: expect.any(String) });
          expect(await snapshot()).toEqual(before);
        });

        it('answers 413 to an oversized body', async () => {
          const before = await snapshot();
          const res = await call(keyA, { rawBody: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }) });
          expect(res.status).toBe(413);
          expect(res.body.code).toBe('payload_too_large');
          expect(await snapshot()).toEqual(before);
        });
      }

      if (route.platformOnly) {
        it('refuses a tenant key even with the scope (403), and lets a platform key through', async () => {
          expect((await call(keyA)).status).toBe(403);
          const victim = await h.createTenant(`Doomed ${route.name}`);
          const res = await h.json(route.method, route.path(victim.authz_store_id, modelId));
          expect(res.status).toBe(route.ok);
          expect((await h.json('GET', `/stores/${victim.authz_store_id}`)).status).toBe(404);
        });
      } else {
        it(`lets a key with only ${route.scope} through`, async () => {
          const key = (await h.tenantKey(a.id, [route.scope])).key;
          expect((await call(key)).status).toBe(route.ok);
        });
      }
    });
  }

  it('answers a malformed store id with 400 validation_error, whoever asks', async () => {
    const mine = await h.json('POST', '/stores/not-a-store/check', { key: keyA, body: { tuple_key: {} } });
    const theirs = await h.json('POST', '/stores/not-a-store/check', { key: keyB, body: { tuple_key: {} } });
    expect(mine.status).toBe(400);
    expect(mine.body.code).toBe('validation_error');
    expect(theirs.body).toEqual(mine.body);
  });

  it('answers an unknown route in OpenFGA shape (undefined_endpoint)', async () => {
    const res = await h.json('POST', `/stores/${a.authz_store_id}/nope`, { key: keyA, body: {} });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('undefined_endpoint');
  });

  it('creates stores only with a platform key, and a tenant key lists only its own store', async () => {
    expect((await h.json('POST', '/stores', { key: keyA, body: { name: 'sneaky' } })).status).toBe(403);
    expect((await h.json('POST', '/stores', { key: null, body: { name: 'sneaky' } })).status).toBe(401);
    expect((await h.json('POST', '/stores', { body: { name: 'x' } })).body.code).toBe('validation_error');
    const listed = await h.json('GET', '/stores', { key: keyA });
    expect(listed.body.stores.map((s: { id: string }) => s.id)).toEqual([a.authz_store_id]);
    const all = await h.json('GET', '/stores?page_size=100');
    expect(all.body.stores.length).toBeGreaterThanOrEqual(2);
  });
});

describe('rate limits on the /stores API', () => {
  it('answers 429 resource_exhausted with Retry-After once a key exhausts its bucket', async () => {
    const { h, stop } = await authzHarness('embedded', { overrides: { rateLimitBurst: 3, rateLimitPerSecond: 0.001 } });
    try {
      const t = await h.createTenant('Limited');
      const key = (await h.tenantKey(t.id, ['authz:read'])).key;
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 5; i++) {
        last = await h.json('POST', `/stores/${t.authz_store_id}/check`, { key, body: { tuple_key: { user: 'user:a', relation: 'member', object: 'group:g' } } });
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(last?.status).toBe(429);
      expect(last?.body.code).toBe('resource_exhausted');
      expect(Number(last?.res.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await stop();
    }
  });
});
