import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { runCli } from '../../../src/cli/run.ts';
import { authorizeTenant } from '../../../src/http/access.ts';

const header = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString());

describe('client credentials for the authorization API, and signing-key rotation', () => {
  let env: SsoEnv;
  let acme: { id: string };
  let globex: { id: string };
  let machine: { client_id: string; client_secret: string };
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    globex = await env.tenant('Globex', 'globex');
    const body = await env.ok('POST', `/admin/v1/tenants/${acme.id}/apps`, { name: 'backend', grant_types: ['client_credentials'], authz_scopes: ['authz:read', 'authz:write'] });
    machine = { client_id: body.client_id, client_secret: body.client_secret };
    rp = await env.rp(machine);
  });
  afterAll(() => env?.close());

  it('issues an ES256 JWT access token that authenticates as the app\'s tenant with the granted scopes only', async () => {
    const tokens = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    expect(header(tokens.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const principal = env.services.oidcTokenAuthenticator(tokens.access_token);
    expect(principal).toMatchObject({ kind: 'tenant', tenantId: acme.id, credentialId: machine.client_id });
    expect([...(principal as unknown as { scopes: Set<string> }).scopes]).toEqual(['authz:read']);
    // Bound to its tenant: another tenant answers as if it did not exist.
    expect(() => authorizeTenant(principal, env.services.tenants.get(globex.id), 'authz:read')).toThrow(/does not exist/);
    expect(() => authorizeTenant(principal, env.services.tenants.get(acme.id), 'authz:write')).toThrow(/lacks/);
  });

  it('is accepted by the OpenFGA-compatible /stores API of its own tenant only, within its scopes', async () => {
    const { access_token } = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    const stores = (await env.services.tenants.get(acme.id)).authz_store_id;
    const foreign = (await env.services.tenants.get(globex.id)).authz_store_id;
    const call = (store: string, path: string, body: unknown) =>
      fetch(`${env.base}/stores/${store}/${path}`, { method: 'POST', headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const check = await call(stores, 'check', { tuple_key: { user: 'user:anne', relation: 'member', object: `organization:${acme.id}` } });
    expect(check.status).toBe(200);
    expect(await check.json()).toMatchObject({ allowed: false });
    const other = await call(foreign, 'check', { tuple_key: { user: 'user:anne', relation: 'member', object: `organization:${globex.id}` } });
    expect([other.status, ((await other.json()) as { code: string }).code]).toEqual([404, 'store_id_not_found']);
    const write = await call(stores, 'write', { writes: { tuple_keys: [{ user: 'user:anne', relation: 'member', object: `organization:${acme.id}` }] } });
    expect(write.status).toBe(403);
  });

  it('is a JWT a resource server verifies with the JWKS: introspection answers unsupported_token_type for it', async () => {
    const { access_token } = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    await expect(client.tokenIntrospection(rp, access_token)).rejects.toMatchObject({ error: 'unsupported_token_type' });
    const payload = JSON.parse(Buffer.from(access_token.split('.')[1] as string, 'base64url').toString());
    expect(payload).toMatchObject({ org_id: acme.id, aud: `${env.base}/stores`, client_id: machine.client_id });
  });

  it('refuses scopes the app was not registered with, and wrong secrets', async () => {
    await expect(client.clientCredentialsGrant(rp, { scope: 'authz:model' })).rejects.toMatchObject({ error: 'invalid_scope' });
    const wrong = await env.rp({ client_id: machine.client_id, client_secret: 'ptc_app_wrong' });
    await expect(client.clientCredentialsGrant(wrong, { scope: 'authz:read' })).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('refuses at /stores a DPoP-bound token presented as a bearer token: it cannot check the proof (RFC 9449 §7.1)', async () => {
    const dpop = client.getDPoPHandle(rp, await client.randomDPoPKeyPair('ES256'));
    const bound = await client.clientCredentialsGrant(rp, { scope: 'authz:read' }, { DPoP: dpop });
    expect(bound.token_type).toBe('dpop');
    expect(JSON.parse(Buffer.from(bound.access_token.split('.')[1] as string, 'base64url').toString()).cnf.jkt).toBeTruthy();
    expect(env.services.oidcTokenAuthenticator(bound.access_token)).toBeUndefined();
    const store = env.services.tenants.get(acme.id).authz_store_id;
    const check = await fetch(`${env.base}/stores/${store}/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bound.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tuple_key: { user: 'user:anne', relation: 'member', object: `organization:${acme.id}` } }),
    });
    expect([check.status, ((await check.json()) as { code: string }).code]).toEqual([401, 'unauthenticated']);
    const { access_token } = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    expect(env.services.oidcTokenAuthenticator(access_token)).toBeTruthy();
  });

  it('logs and counts the status the OpenID Provider actually sent, not the placeholder it hands back', async () => {
    const token = (secret: string, requestId: string) =>
      fetch(`${env.base}/oidc/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${machine.client_id}:${secret}`).toString('base64')}`,
          'x-request-id': requestId,
        },
        body: 'grant_type=client_credentials&scope=authz%3Aread',
      });
    const refused = await token('ptc_app_wrong', 'cc-refused-1');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-request-id')).toBe('cc-refused-1');
    const granted = await token(machine.client_secret, 'cc-granted-1');
    expect(granted.status).toBe(200);
    await env.services.logger.flush();
    const line = (id: string) => env.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.request_id === id && l.msg === 'request');
    expect(line('cc-refused-1')).toMatchObject({ status: 401, route: '/oidc/*', path: '/oidc/token' });
    expect(line('cc-granted-1')).toMatchObject({ status: 200, route: '/oidc/*' });
    const metrics = await (await fetch(`${env.base}/metrics`)).text();
    expect(metrics).toMatch(/portcullis_http_requests_total\{method="POST",route="\/oidc\/\*",status="401"\} [1-9]/);
  });

  it('stores only a hash of the client secret; rotation retires the old secret at once', async () => {
    const row = env.services.storage.sql.prepare<[string], { secret_hash: string }>('SELECT secret_hash FROM oidc_apps WHERE id = ?').get(machine.client_id)!;
    expect(row.secret_hash).not.toContain(machine.client_secret);
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    const rotated = await env.ok('POST', `/admin/v1/tenants/${acme.id}/apps/${machine.client_id}/rotate-secret`);
    await expect(client.clientCredentialsGrant(rp, { scope: 'authz:read' })).rejects.toMatchObject({ error: 'invalid_client' });
    machine = { client_id: machine.client_id, client_secret: rotated.client_secret };
    rp = await env.rp(machine);
    expect((await client.clientCredentialsGrant(rp, { scope: 'authz:read' })).access_token).toBeTruthy();
    expect(env.audit(acme.id, 'oidc.app.secret_rotated')).toHaveLength(1);
  });

  it('rotates signing keys from the CLI while serving: new tokens use the new key, old tokens keep verifying', async () => {
    const before = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    const oldKid = header(before.access_token).kid;
    const out: string[] = [];
    const code = await runCli(['keys', 'rotate', '--data-dir', env.dir, '--json'], { stdout: (t) => out.push(t), stderr: (t) => out.push(t), env: {} });
    expect(code).toBe(0);
    const result = JSON.parse(out.join(''));
    expect(result.retired).toContain(oldKid);
    let after = before;
    for (let i = 0; i < 50 && header(after.access_token).kid === oldKid; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    }
    expect(result.created).toContain(header(after.access_token).kid);
    const jwks = (await (await fetch(`${env.base}/oidc/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, header(after.access_token).kid]));
    expect(env.services.oidcTokenAuthenticator(before.access_token)).toBeTruthy();
    expect(env.services.oidcTokenAuthenticator(after.access_token)).toBeTruthy();
    expect([...env.services.audit.export('platform', {})].map((e) => e.action)).toEqual(expect.arrayContaining(['oidc.keys.generated', 'oidc.keys.rotated']));
  });

  it("issues no token to an app whose tenant is suspended (unauthorized_client), and issues again once it is resumed", async () => {
    const tenant = await env.tenant('Initech', 'initech');
    const body = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/apps`, { name: 'backend', grant_types: ['client_credentials'], authz_scopes: ['authz:read'] });
    const initech = await env.rp({ client_id: body.client_id, client_secret: body.client_secret });
    expect((await client.clientCredentialsGrant(initech, { scope: 'authz:read' })).access_token).toBeTruthy();
    await env.ok('POST', `/admin/v1/tenants/${tenant.id}/suspend`);
    await expect(client.clientCredentialsGrant(initech, { scope: 'authz:read' })).rejects.toMatchObject({ error: 'unauthorized_client' });
    await env.ok('POST', `/admin/v1/tenants/${tenant.id}/resume`);
    expect((await client.clientCredentialsGrant(initech, { scope: 'authz:read' })).access_token).toBeTruthy();
  });

  it('stops accepting the tokens of a deleted app', async () => {
    const tokens = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    await env.ok('DELETE', `/admin/v1/tenants/${acme.id}/apps/${machine.client_id}`);
    expect(env.services.oidcTokenAuthenticator(tokens.access_token)).toBeUndefined();
    await expect(client.clientCredentialsGrant(rp, { scope: 'authz:read' })).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('rejects forged and foreign tokens', () => {
    const tokensLike = ['', 'a.b.c', 'eyJhbGciOiJub25lIiwia2lkIjoieCIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJ4In0.', 'ptc_key_x'];
    for (const t of tokensLike) expect(env.services.oidcTokenAuthenticator(t)).toBeUndefined();
  });
});
