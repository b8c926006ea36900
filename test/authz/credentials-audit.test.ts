import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../helpers/sso-env.ts';

/**
 * Every credential the /stores API accepts, at the edges of its life, over a real HTTP server
 * (so plain Checks go through the Node-level Check lane, everything else through the full stack):
 * client-credentials access tokens of deleted, narrowed, rotated and foreign apps, and API keys
 * of a revoked key or a suspended tenant. A refusal must change nothing.
 */
describe('credentials at the edges of their life on the /stores API', () => {
  let env: SsoEnv;
  let acme: { id: string; authz_store_id: string };
  let globex: { id: string; authz_store_id: string };
  const missing = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  const tuple = (user: string) => ({ user, relation: 'member', object: 'group:eng' });

  const call = async (token: string, store: string, path: string, body?: unknown, method = 'POST') => {
    const res = await fetch(`${env.base}/stores/${store}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const tuplesOf = async (store: string) => (await env.api('POST', `/stores/${store}/read`, { page_size: 100 })).body.tuples.map((t: { key: object }) => t.key);
  const app = async (tenantId: string, authz_scopes: string[]) => {
    const body = await env.ok('POST', `/admin/v1/tenants/${tenantId}/apps`, { name: `m2m ${authz_scopes.join(' ')}`, grant_types: ['client_credentials'], authz_scopes });
    return { client_id: body.client_id as string, client_secret: body.client_secret as string };
  };
  const token = async (creds: { client_id: string; client_secret: string }, scope: string) =>
    (await client.clientCredentialsGrant(await env.rp(creds), { scope })).access_token;
  /** The same request on a store that does not exist answers exactly like `res`. */
  const likeMissing = async (res: { status: number; body: unknown }, credential: string, path: string, body?: unknown, method?: string) => {
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'store_id_not_found', message: 'Store ID not found' });
    expect(await call(credential, missing, path, body, method)).toEqual(res);
  };

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    globex = await env.tenant('Globex', 'globex');
    expect((await env.api('POST', `/stores/${acme.authz_store_id}/write`, { writes: { tuple_keys: [tuple('user:anne')] } })).status).toBe(200);
    expect((await env.api('POST', `/stores/${globex.authz_store_id}/write`, { writes: { tuple_keys: [tuple('user:gina')] } })).status).toBe(200);
  });
  afterAll(() => env?.close());

  it("answers a token of another tenant's app exactly like a missing store, on the Check lane and the full stack", async () => {
    const foreign = await token(await app(globex.id, ['authz:read', 'authz:write']), 'authz:read authz:write');
    const before = await tuplesOf(acme.authz_store_id);
    const check = { tuple_key: tuple('user:anne') };
    await likeMissing(await call(foreign, acme.authz_store_id, '/check', check), foreign, '/check', check);
    const write = { writes: { tuple_keys: [tuple('user:intruder')] } };
    await likeMissing(await call(foreign, acme.authz_store_id, '/write', write), foreign, '/write', write);
    await likeMissing(await call(foreign, acme.authz_store_id, '/read', {}), foreign, '/read', {});
    await likeMissing(await call(foreign, acme.authz_store_id, '/changes', undefined, 'GET'), foreign, '/changes', undefined, 'GET');
    expect(await tuplesOf(acme.authz_store_id)).toEqual(before);
    expect((await call(foreign, globex.authz_store_id, '/check', { tuple_key: tuple('user:gina') })).body).toEqual({ allowed: true });
  });

  it('refuses a read-only token that writes tuples or models (403 forbidden), changing nothing', async () => {
    const reader = await token(await app(acme.id, ['authz:read']), 'authz:read');
    const before = await tuplesOf(acme.authz_store_id);
    const write = await call(reader, acme.authz_store_id, '/write', { writes: { tuple_keys: [tuple('user:sneaky')] } });
    expect([write.status, write.body.code]).toEqual([403, 'forbidden']);
    const model = await call(reader, acme.authz_store_id, '/authorization-models', { schema_version: '1.1', type_definitions: [{ type: 'user' }] });
    expect([model.status, model.body.code]).toEqual([403, 'forbidden']);
    expect(await tuplesOf(acme.authz_store_id)).toEqual(before);
    expect((await call(reader, acme.authz_store_id, '/check', { tuple_key: tuple('user:anne') })).body).toEqual({ allowed: true });
  });

  it("narrows a token minted before the app's scopes were reduced: its writes are refused at once", async () => {
    const creds = await app(acme.id, ['authz:read', 'authz:write']);
    const writer = await token(creds, 'authz:read authz:write');
    expect((await call(writer, acme.authz_store_id, '/write', { writes: { tuple_keys: [tuple('user:w1')] } })).status).toBe(200);
    expect((await env.api('PATCH', `/admin/v1/tenants/${acme.id}/apps/${creds.client_id}`, { authz_scopes: ['authz:read'] })).status).toBe(200);
    const before = await tuplesOf(acme.authz_store_id);
    const refused = await call(writer, acme.authz_store_id, '/write', { writes: { tuple_keys: [tuple('user:w2')] } });
    expect([refused.status, refused.body.code]).toEqual([403, 'forbidden']);
    expect(await tuplesOf(acme.authz_store_id)).toEqual(before);
    expect((await call(writer, acme.authz_store_id, '/check', { tuple_key: tuple('user:w1') })).body).toEqual({ allowed: true });
  });

  it('refuses every token of a deleted app with 401, on the Check lane and the full stack, changing nothing', async () => {
    const creds = await app(acme.id, ['authz:read', 'authz:write']);
    const doomed = await token(creds, 'authz:read authz:write');
    expect((await call(doomed, acme.authz_store_id, '/check', { tuple_key: tuple('user:anne') })).body).toEqual({ allowed: true });
    expect((await env.api('DELETE', `/admin/v1/tenants/${acme.id}/apps/${creds.client_id}`)).status).toBe(204);
    const before = await tuplesOf(acme.authz_store_id);
    for (const [path, body] of [['/check', { tuple_key: tuple('user:anne') }], ['/write', { writes: { tuple_keys: [tuple('user:ghost')] } }], ['/read', {}]] as const) {
      const res = await call(doomed, acme.authz_store_id, path, body);
      expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 401, code: 'unauthenticated' });
    }
    expect(await tuplesOf(acme.authz_store_id)).toEqual(before);
  });

  it('keeps a token minted before a client-secret rotation working until it expires; the old secret mints no more', async () => {
    const creds = await app(acme.id, ['authz:read']);
    const minted = await token(creds, 'authz:read');
    expect((await env.api('POST', `/admin/v1/tenants/${acme.id}/apps/${creds.client_id}/rotate-secret`)).status).toBe(200);
    await expect(token(creds, 'authz:read')).rejects.toMatchObject({ error: 'invalid_client' });
    expect((await call(minted, acme.authz_store_id, '/check', { tuple_key: tuple('user:anne') })).body).toEqual({ allowed: true });
    const claims = JSON.parse(Buffer.from(minted.split('.')[1] as string, 'base64url').toString()) as { exp: number; iat: number };
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(600);
  });

  it("refuses a suspended tenant's token and key with 403 and a revoked key with 401, on the Check lane and the full stack", async () => {
    const t = await env.tenant('Initech', 'initech');
    const key = (await env.ok('POST', `/admin/v1/tenants/${t.id}/api-keys`, { name: 'app', scopes: ['authz:read', 'authz:write'] })).key as string;
    const revoked = await env.ok('POST', `/admin/v1/tenants/${t.id}/api-keys`, { name: 'old', scopes: ['authz:read', 'authz:write'] });
    const tok = await token(await app(t.id, ['authz:read', 'authz:write']), 'authz:read authz:write');
    expect((await env.api('DELETE', `/admin/v1/tenants/${t.id}/api-keys/${revoked.id}`)).status).toBe(200);
    const check = { tuple_key: tuple('user:anne') };
    const write = { writes: { tuple_keys: [tuple('user:late')] } };
    for (const body of [check, write]) {
      const res = await call(revoked.key, t.authz_store_id, body === check ? '/check' : '/write', body);
      expect([res.status, res.body.code]).toEqual([401, 'unauthenticated']);
    }
    expect((await env.api('POST', `/admin/v1/tenants/${t.id}/suspend`)).status).toBe(200);
    for (const credential of [key, tok]) {
      for (const [path, body] of [['/check', check], ['/write', write]] as const) {
        const res = await call(credential, t.authz_store_id, path, body);
        expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 403, code: 'forbidden' });
      }
    }
    expect(await tuplesOf(t.authz_store_id)).toEqual([]);
  });
});
