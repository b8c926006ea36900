import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, freePort } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';

const ENTRA = 'https://login.microsoftonline.com';
const TID = '9b1c6f0e-2d3a-4c5b-8e7f-0a1b2c3d4e5f';
const OTHER_TID = '11111111-2222-4333-8444-555555555555';

/**
 * An Entra ID multi-tenant app registration (`/organizations/v2.0`): the discovery document's
 * issuer is the `{tenantid}` template and each token's issuer must match its own `tid`. The
 * IdP is oauth2-mock-server, reached through the SSO upstream fetch seam as if it were
 * login.microsoftonline.com.
 */
describe('Entra ID multi-tenant OIDC connection', () => {
  let env: SsoEnv;
  let mock: OAuth2Server;
  let port: number;
  let tenant: { id: string };
  let connectionId: string;
  let rp: client.Configuration;
  let tokenTid = TID;

  const toMock = (url: string) => {
    const u = new URL(url);
    return `http://127.0.0.1:${port}${u.pathname.replace(/^\/[^/]+\/v2\.0/, '')}${u.search}`;
  };

  beforeAll(async () => {
    mock = new OAuth2Server();
    await mock.issuer.keys.generate('RS256');
    port = await freePort();
    await mock.start(port, '127.0.0.1');
    mock.issuer.url = `${ENTRA}/${TID}/v2.0`;
    mock.service.on('beforeTokenSigning', (token) => {
      if (token.payload.nonce !== undefined) Object.assign(token.payload, { sub: 'pairwise-sub', oid: 'oid-grace', tid: tokenTid, email: 'grace@hopper.test', name: 'Grace Hopper' });
    });
    const upstreamFetch: client.CustomFetch = async (url, options) => {
      if (!url.startsWith(ENTRA)) return fetch(url, options as RequestInit);
      const res = await fetch(toMock(url), options as RequestInit);
      if (!url.includes('/.well-known/openid-configuration')) return res;
      const doc = (await res.json()) as Record<string, unknown>;
      return Response.json({ ...doc, issuer: `${ENTRA}/{tenantid}/v2.0` });
    };
    env = await SsoEnv.start({ sso: { upstreamFetch } });
    tenant = await env.tenant('Hopper', 'hopper');
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    const conn = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
      name: 'Entra ID',
      protocol: 'oidc',
      status: 'active',
      attribute_preset: 'entra',
      oidc: { issuer: `${ENTRA}/organizations/v2.0`, client_id: 'entraapp', client_secret: 's', entra_multi_tenant: true, allowed_entra_tenants: [TID] },
    });
    connectionId = conn.id;
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(async () => {
    await env?.close();
    await mock?.stop();
  });

  async function signIn() {
    const browser = new Browser();
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(rp, { redirect_uri: 'http://127.0.0.1:9/callback', scope: 'openid email', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st', organization: 'hopper' });
    const atEntra = await browser.follow(url.toString(), (l) => l.startsWith(ENTRA) || l.startsWith('http://127.0.0.1:9/'));
    expect(atEntra.url.startsWith(ENTRA)).toBe(true);
    const done = await browser.follow(toMock(atEntra.url), (l) => l.startsWith('http://127.0.0.1:9/'));
    return { done, verifier };
  }

  it('accepts a token whose issuer matches its own tid, from an allowed Entra tenant', async () => {
    tokenTid = TID;
    const { done, verifier } = await signIn();
    expect(done.url).toMatch(/\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: 'st' });
    expect(tokens.claims()).toMatchObject({ email: 'grace@hopper.test', org_slug: 'hopper', connection_id: connectionId });
    expect(env.services.directory.findUserByExternalId(tenant.id, 'oid-grace')).toBeTruthy();
  });

  it('refuses a token whose tid does not match its issuer', async () => {
    tokenTid = OTHER_TID;
    const { done } = await signIn();
    expect(done.url).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'oidc_token_invalid', detail: expect.stringMatching(/iss/) });
  });

  it('refuses an Entra tenant the connection does not allow', async () => {
    tokenTid = TID;
    await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${connectionId}`, { oidc: { allowed_entra_tenants: [OTHER_TID] } });
    const { done } = await signIn();
    expect(done.url).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('oidc_tenant_not_allowed');
  });

  it('admits an allowed directory whatever the case of its id (tokens carry tid in lower case; some tools print GUIDs in upper case)', async () => {
    tokenTid = TID;
    await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${connectionId}`, { oidc: { allowed_entra_tenants: [TID.toUpperCase()] } });
    const { done } = await signIn();
    expect(done.url).toMatch(/\/callback\?code=/);
  });

  it('treats any Entra issuer whose discovery names the {tenantid} template as shared, however its path is spelled', async () => {
    tokenTid = TID;
    // Not recognised as organizations/common/consumers when saved, so saved without a directory list.
    const sneaky = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
      name: 'Entra ID (encoded path)',
      protocol: 'oidc',
      status: 'active',
      attribute_preset: 'entra',
      oidc: { issuer: `${ENTRA}/%6Frganizations/v2.0`, client_id: 'entraapp', client_secret: 's' },
    });
    try {
      const browser = new Browser();
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(rp, { redirect_uri: 'http://127.0.0.1:9/callback', scope: 'openid email', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st', organization: 'hopper', connection: sneaky.id });
      const atEntra = await browser.follow(url.toString(), (l) => l.startsWith(ENTRA) || l.startsWith('http://127.0.0.1:9/'));
      expect(atEntra.url.startsWith(ENTRA)).toBe(true);
      const done = await browser.follow(toMock(atEntra.url), (l) => l.startsWith('http://127.0.0.1:9/'));
      expect(done.url).toMatch(/\/callback\?error=access_denied/);
      expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'oidc_tenant_not_allowed', detail: expect.stringMatching(/lists no allowed Entra directories/) });
    } finally {
      await env.ok('DELETE', `/admin/v1/tenants/${tenant.id}/connections/${sneaky.id}`);
    }
  });

  it('a connection saved before allowed Entra directories were required admits no directory at sign-in, rather than every one', async () => {
    tokenTid = TID;
    const legacy = (multiTenant: number, allowed: string) =>
      env.services.storage.sql.transaction(() => {
        env.services.storage.sql.prepare('UPDATE sso_oidc_settings SET entra_multi_tenant = ?, allowed_entra_tenants = ? WHERE connection_id = ?').run(multiTenant, allowed, connectionId);
        env.services.storage.sql.prepare('UPDATE sso_connections SET version = version + 1 WHERE id = ?').run(connectionId);
      });
    for (const [multiTenant, allowed] of [[1, ''], [0, '']] as const) {
      legacy(multiTenant, allowed);
      const { done } = await signIn();
      expect(done.url).toMatch(/\/callback\?error=access_denied/);
      expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'oidc_tenant_not_allowed', detail: expect.stringMatching(/lists no allowed Entra directories/) });
    }
    // Without the multi-tenant flag, the shared authority still admits exactly the listed directories.
    legacy(0, TID);
    expect((await signIn()).done.url).toMatch(/\/callback\?code=/);
  });
});
