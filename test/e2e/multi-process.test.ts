import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { tempDir } from '../helpers/harness.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { cli } from '../helpers/cli.ts';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../helpers/sso-env.ts';
import { Browser } from '../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../helpers/saml-idp.ts';

/**
 * A deployment as it really runs: two `portcullis serve` processes (and the CLI) on one data
 * directory. A change made through one must be seen by the other at once, or within the bound
 * the docs give (the OpenID Provider notices a signing-key rotation within a second).
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let dir: string;
let a: ServerProcess;
let b: ServerProcess;
let platform: string;

beforeAll(async () => {
  dir = tempDir();
  a = await startServerProcess(dir);
  platform = a.platformKey as string;
  b = await startServerProcess(dir);
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
  rmSync(dir, { recursive: true, force: true });
});

async function call(s: ServerProcess, key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Json };
}
const ok = async (s: ServerProcess, method: string, path: string, body?: unknown) => {
  const r = await call(s, platform, method, path, body);
  expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
  return r.body;
};
const tenant = (name: string) => ok(a, 'POST', '/admin/v1/tenants', { name }) as Promise<{ id: string; authz_store_id: string }>;

async function clientToken(s: ServerProcess, app: { client_id: string; client_secret: string }, scope = 'authz:read') {
  const res = await fetch(`${s.url}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}` },
    body: `grant_type=client_credentials&scope=${encodeURIComponent(scope)}`,
  });
  return { status: res.status, body: (await res.json()) as Json };
}
const kidOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString()).kid as string;
const jwksKids = async (s: ServerProcess) => ((await (await fetch(`${s.url}/oidc/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

describe('two serve processes on one data directory', () => {
  it('refuse at once, in the other process, a key revoked, a tenant suspended or deleted, and a SCIM token revoked', async () => {
    const t = await tenant('Shared Acme');
    const key = (await ok(a, 'POST', `/admin/v1/tenants/${t.id}/api-keys`, { name: 'k', scopes: ['admin'] })) as { id: string; key: string };
    const other = (await ok(a, 'POST', `/admin/v1/tenants/${t.id}/api-keys`, { name: 'k2', scopes: ['admin'] })) as { id: string; key: string };
    const scim = await ok(a, 'POST', `/admin/v1/tenants/${t.id}/scim/tokens`, { name: 'okta' });
    const scimPath = `${new URL(scim.base_url).pathname}/Users`;
    // Both processes have served (and cached) every credential.
    for (const s of [a, b]) {
      expect((await call(s, key.key, 'GET', `/admin/v1/tenants/${t.id}`)).status).toBe(200);
      expect((await call(s, scim.token, 'GET', scimPath)).status).toBe(200);
    }

    await ok(a, 'DELETE', `/admin/v1/tenants/${t.id}/api-keys/${key.id}`);
    expect((await call(b, key.key, 'GET', `/admin/v1/tenants/${t.id}`)).status).toBe(401);
    expect((await call(b, other.key, 'GET', `/admin/v1/tenants/${t.id}`)).status).toBe(200);

    await ok(b, 'POST', `/admin/v1/tenants/${t.id}/suspend`);
    const suspended = await call(a, other.key, 'GET', `/admin/v1/tenants/${t.id}`);
    expect([suspended.status, suspended.body.code]).toEqual([403, 'tenant_suspended']);
    await ok(a, 'POST', `/admin/v1/tenants/${t.id}/resume`);
    expect((await call(b, other.key, 'GET', `/admin/v1/tenants/${t.id}`)).status).toBe(200);

    await ok(a, 'DELETE', `/admin/v1/tenants/${t.id}/scim/directories/${scim.directory_id}/tokens/${scim.id}`);
    expect((await call(b, scim.token, 'GET', scimPath)).status).toBe(401);

    await ok(b, 'DELETE', `/admin/v1/tenants/${t.id}`);
    expect((await call(a, other.key, 'GET', `/admin/v1/tenants/${t.id}`)).status).toBe(401);
  });

  it('refuses in the other process an app whose secret was rotated or that was deleted, and its tokens', async () => {
    const t = await tenant('App Co');
    const app = (await ok(a, 'POST', `/admin/v1/tenants/${t.id}/apps`, { name: 'm2m', grant_types: ['client_credentials'], authz_scopes: ['authz:read'] })) as { client_id: string; client_secret: string };
    const first = await clientToken(b, app);
    expect(first.status).toBe(200);
    const check = (s: ServerProcess, token: string) =>
      call(s, token, 'POST', `/stores/${t.authz_store_id}/check`, { tuple_key: { user: 'user:anne', relation: 'member', object: `organization:${t.id}` } });
    expect((await check(a, first.body.access_token)).status).toBe(200);

    const rotated = await ok(a, 'POST', `/admin/v1/tenants/${t.id}/apps/${app.client_id}/rotate-secret`);
    expect((await clientToken(b, app)).status).toBe(401);
    const fresh = await clientToken(b, { client_id: app.client_id, client_secret: rotated.client_secret });
    expect(fresh.status).toBe(200);

    await ok(a, 'DELETE', `/admin/v1/tenants/${t.id}/apps/${app.client_id}`);
    expect((await check(b, fresh.body.access_token)).status).toBe(401);
    expect((await clientToken(b, { client_id: app.client_id, client_secret: rotated.client_secret })).status).toBe(401);
  });

  it('after `portcullis keys rotate`, both processes publish and accept the new key', async () => {
    const t = await tenant('Rotating');
    const app = (await ok(a, 'POST', `/admin/v1/tenants/${t.id}/apps`, { name: 'm2m', grant_types: ['client_credentials'], authz_scopes: ['authz:read'] })) as { client_id: string; client_secret: string };
    const before = (await clientToken(a, app)).body.access_token as string;
    const rotated = await cli(['keys', 'rotate', '--data-dir', dir, '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const created = rotated.json().created as string[];
    // The provider checks for a new key generation at most once a second.
    const deadline = Date.now() + 10_000;
    let after = before;
    while (!created.includes(kidOf(after)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      after = (await clientToken(a, app)).body.access_token as string;
    }
    expect(created).toContain(kidOf(after));
    for (const s of [a, b]) {
      const kids = await jwksKids(s);
      expect(kids).toEqual(expect.arrayContaining([...created, kidOf(before)]));
      for (const token of [before, after]) {
        const r = await call(s, token, 'POST', `/stores/${t.authz_store_id}/check`, { tuple_key: { user: 'user:anne', relation: 'member', object: `organization:${t.id}` } });
        expect(r.status).toBe(200);
      }
    }
  });

  it('answers a Check in one process with a tuple written or deleted in the other, with no delay', async () => {
    const t = await tenant('Authz Co');
    const key = (await ok(a, 'POST', `/admin/v1/tenants/${t.id}/api-keys`, { name: 'fga', scopes: ['authz:read', 'authz:write', 'authz:model'] })).key as string;
    const tuple = { user: 'user:anne', relation: 'member', object: `organization:${t.id}` };
    const check = async (s: ServerProcess) => (await call(s, key, 'POST', `/stores/${t.authz_store_id}/check`, { tuple_key: tuple })).body.allowed;
    for (let round = 0; round < 3; round++) {
      expect(await check(b)).toBe(false);
      expect(await check(b)).toBe(false); // now from B's decision cache
      expect((await call(a, key, 'POST', `/stores/${t.authz_store_id}/write`, { writes: { tuple_keys: [tuple] } })).status).toBe(200);
      expect(await check(b)).toBe(true);
      expect((await call(b, key, 'POST', `/stores/${t.authz_store_id}/write`, { deletes: { tuple_keys: [tuple] } })).status).toBe(200);
      expect(await check(a)).toBe(false);
    }
    const model = await call(a, key, 'POST', `/stores/${t.authz_store_id}/authorization-models`, {
      schema_version: '1.1',
      type_definitions: [{ type: 'user' }, { type: 'doc', relations: { viewer: { this: {} } }, metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user' }] } } } }],
    });
    expect(model.status).toBe(201);
    const latest = await call(b, key, 'GET', `/stores/${t.authz_store_id}/authorization-models?page_size=1`);
    expect(latest.body.authorization_models[0].id).toBe(model.body.authorization_model_id);
    expect((await call(b, key, 'POST', `/stores/${t.authz_store_id}/write`, { writes: { tuple_keys: [{ user: 'user:bob', relation: 'viewer', object: 'doc:1' }] } })).status).toBe(200);
    expect((await call(a, key, 'POST', `/stores/${t.authz_store_id}/check`, { tuple_key: { user: 'user:bob', relation: 'viewer', object: 'doc:1' } })).body.allowed).toBe(true);
  });

  it('drops in one process the authorization of a user that SCIM deactivated through the other', async () => {
    const t = await tenant('Deprovision Co');
    const key = (await ok(a, 'POST', `/admin/v1/tenants/${t.id}/api-keys`, { name: 'fga', scopes: ['authz:read', 'authz:write'] })).key as string;
    const scim = await ok(a, 'POST', `/admin/v1/tenants/${t.id}/scim/tokens`, { name: 'okta' });
    const base = new URL(scim.base_url).pathname;
    const scimCall = (s: ServerProcess, method: string, path: string, body: unknown) =>
      fetch(`${s.url}${base}${path}`, { method, headers: { authorization: `Bearer ${scim.token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify(body) });
    const created = await scimCall(b, 'POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'dana@deprovision.example', active: true });
    expect(created.status).toBe(201);
    const user = (await created.json()) as { id: string };
    const tuple = { user: `user:${user.id}`, relation: 'member', object: `organization:${t.id}` };
    expect((await call(b, key, 'POST', `/stores/${t.authz_store_id}/write`, { writes: { tuple_keys: [tuple] } })).status).toBe(200);
    const check = async (s: ServerProcess) => (await call(s, key, 'POST', `/stores/${t.authz_store_id}/check`, { tuple_key: tuple })).body.allowed;
    expect([await check(b), await check(b)]).toEqual([true, true]);
    const patched = await scimCall(a, 'PATCH', `/Users/${user.id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(patched.status).toBe(200);
    expect(await check(b)).toBe(false);
    const read = await call(b, key, 'POST', `/stores/${t.authz_store_id}/read`, { tuple_key: { user: tuple.user, object: 'organization:' } });
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body.tuples).toEqual([]);
  });

  it('replays in one process a POST whose Idempotency-Key was used in the other, without a second effect', async () => {
    const idem = { 'idempotency-key': 'create-globex-once' };
    const first = await call(a, platform, 'POST', '/admin/v1/tenants', { name: 'Globex Once' }, idem);
    expect(first.status).toBe(201);
    const retry = await call(b, platform, 'POST', '/admin/v1/tenants', { name: 'Globex Once' }, idem);
    expect([retry.status, retry.headers.get('idempotency-replayed'), retry.body.id]).toEqual([201, 'true', first.body.id]);
    const changed = await call(b, platform, 'POST', '/admin/v1/tenants', { name: 'Globex Twice' }, idem);
    expect([changed.status, changed.body.code]).toEqual([422, 'idempotency_key_reused']);
    const all = await call(b, platform, 'GET', '/admin/v1/tenants?limit=200');
    expect(all.body.data.filter((x: Json) => x.name.startsWith('Globex'))).toHaveLength(1);
  });

  it('sees a key created and revoked by the CLI at once', async () => {
    const t = await tenant('CLI Co');
    const made = await cli(['apikey', 'create', '--tenant', t.id, '--scopes', 'admin', '--data-dir', dir, '--json']);
    expect(made.code).toBe(0);
    const { id, key } = made.json() as { id: string; key: string };
    expect((await call(b, key, 'GET', `/admin/v1/tenants/${t.id}`)).status).toBe(200);
    expect((await cli(['apikey', 'revoke', id, '--data-dir', dir, '--json'])).code).toBe(0);
    expect((await call(b, key, 'GET', `/admin/v1/tenants/${t.id}`)).status).toBe(401);
    expect((await call(a, key, 'GET', `/admin/v1/tenants/${t.id}`)).status).toBe(401);
  });
});

describe('sign-in state shared by two processes (one deployment behind one base URL)', () => {
  let env: SsoEnv;
  let other: ServerProcess;
  let idp: TestSamlIdp;
  let tenant: { id: string };
  let rp: client.Configuration;
  let app: { client_id: string; client_secret: string };

  beforeAll(async () => {
    env = await SsoEnv.start();
    other = await startServerProcess(env.dir, { PORTCULLIS_BASE_URL: env.base });
    tenant = await env.tenant('Acme', 'acme');
    idp = new TestSamlIdp();
    await env.samlConnection(tenant.id, idp);
    app = await env.app(tenant.id);
    rp = await env.rp(app);
  }, 60_000);
  afterAll(async () => {
    await other?.stop('SIGKILL');
    await env?.close();
  });
  const onOther = (url: string) => url.replace(env.base, other.url);
  const refreshOnOther = async (refreshToken: string) => {
    const res = await fetch(`${other.url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it('refuses in one process a SAML response or assertion already consumed in the other', async () => {
    env.provisionUser(tenant.id, { userName: 'sam@acme.test', email: 'sam@acme.test', externalId: 'sam@acme.test' });
    let captured: { acs: string; form: Record<string, string> } | undefined;
    const first = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, (req) => {
      const raw = idp.response(answerTo(req, 'sam@acme.test', { id: '_assertion_once' }));
      captured = { acs: req.acs, form: { SAMLResponse: raw, RelayState: req.relayState } };
      return { raw };
    });
    expect(first.landed).toMatch(/\/callback\?code=/);
    const replay = await new Browser().request(onOther(captured!.acs), { form: captured!.form });
    expect(replay.status).toBe(400);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('login_state_unknown');

    // A fresh login started in the first process, its response (reusing the assertion id) posted to the other.
    const browser = new Browser();
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    const toIdp = await browser.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl));
    const req = TestSamlIdp.readAuthnRequest(toIdp.url);
    const succeeded = env.audit(tenant.id, 'sso.login.succeeded').length;
    const again = await browser.follow(onOther(req.acs), (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: idp.response(answerTo(req, 'sam@acme.test', { id: '_assertion_once' })), RelayState: req.relayState } });
    expect(again.url).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.succeeded')).toHaveLength(succeeded);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('saml_assertion_replayed');
  });

  it('finishes in one process a login started in the other, and its refresh tokens die everywhere on deactivation', async () => {
    const userId = env.provisionUser(tenant.id, { userName: 'rae@acme.test', email: 'rae@acme.test', externalId: 'rae@acme.test' });
    const browser = new Browser();
    const { url, verifier, state } = await authorizationRequest(rp, { organization: 'acme' });
    const toIdp = await browser.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl));
    const req = TestSamlIdp.readAuthnRequest(toIdp.url);
    const posted = await browser.request(onOther(req.acs), { form: { SAMLResponse: idp.response(answerTo(req, 'rae@acme.test')), RelayState: req.relayState } });
    expect([302, 303]).toContain(posted.status);
    const landed = await browser.follow(new URL(posted.headers.get('location') as string, env.base).toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    const tokens = await client.authorizationCodeGrant(rp, new URL(landed.url), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.refresh_token).toBeTruthy();
    const rotated = await refreshOnOther(tokens.refresh_token as string);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    await env.deactivate(tenant.id, userId);
    const refused = await refreshOnOther(rotated.body.refresh_token);
    expect([refused.status, refused.body.error]).toEqual([400, 'invalid_grant']);
  });
});
