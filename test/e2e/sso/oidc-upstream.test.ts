import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest, freePort } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';

/** Sign-in through an upstream OIDC IdP (oauth2-mock-server), with openid-client as the app. */
describe('sign-in through an upstream OIDC IdP', () => {
  let env: SsoEnv;
  let upstream: OAuth2Server;
  let tenant: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  let connectionId: string;
  let claims: Record<string, unknown> = {};

  beforeAll(async () => {
    upstream = new OAuth2Server();
    await upstream.issuer.keys.generate('RS256');
    const port = await freePort();
    await upstream.start(port, '127.0.0.1');
    upstream.issuer.url = `http://127.0.0.1:${port}`;
    upstream.service.on('beforeTokenSigning', (token) => {
      if (token.payload.nonce !== undefined || token.payload.aud === 'portcullisokta') Object.assign(token.payload, claims);
    });
    env = await SsoEnv.start();
    tenant = await env.tenant('Globex', 'globex');
    const conn = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
      name: 'Okta OIDC',
      protocol: 'oidc',
      status: 'active',
      attribute_preset: 'okta',
      group_mappings: [{ idp_group: 'Admins', relation: 'admin' }],
      oidc: { issuer: upstream.issuer.url, client_id: 'portcullisokta', client_secret: 'upstream-secret', scopes: 'openid email profile groups' },
    });
    connectionId = conn.id;
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(async () => {
    await env?.close();
    await upstream?.stop();
  });

  async function signIn(params: Record<string, string> = { organization: 'globex' }) {
    const browser = new Browser();
    const { url, verifier, state } = await authorizationRequest(rp, params);
    const done = await browser.follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    return { done, verifier, state };
  }

  it('provisions the user just in time when the tenant allows it and issues tokens', async () => {
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    claims = { sub: '00uOktaBob', email: 'bob@globex.test', given_name: 'Bob', family_name: 'Baker', groups: ['Admins'] };
    const { done, verifier, state } = await signIn();
    expect(done.url).toMatch(/\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state });
    const id = tokens.claims()!;
    expect(id).toMatchObject({ email: 'bob@globex.test', name: 'Bob Baker', org_id: tenant.id, org_slug: 'globex', connection_id: connectionId, groups: ['Admins'] });
    const user = env.services.directory.findUserById(tenant.id, id.sub);
    expect(user).toMatchObject({ external_id: '00uOktaBob', email: 'bob@globex.test', active: true });
    expect(env.audit(tenant.id, 'directory.user.created').at(-1)?.metadata).toMatchObject({ source: 'sso_jit' });
    expect(env.audit(tenant.id, 'sso.user.linked').at(-1)?.metadata).toMatchObject({ linked_by: 'jit' });
    // A second sign-in links to the same user by external id.
    const again = await signIn();
    const second = await client.authorizationCodeGrant(rp, new URL(again.done.url), { pkceCodeVerifier: again.verifier, expectedState: again.state });
    expect(second.claims()!.sub).toBe(id.sub);
  });

  it('maps IdP groups to organization roles at each login, and takes them away when the group is gone', async () => {
    const check = async (sub: string) =>
      (await env.services.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${sub}`, relation: 'admin', object: `organization:${tenant.id}` } })).allowed;
    claims = { sub: '00uOktaDan', email: 'dan@globex.test', groups: ['Admins'] };
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    const first = await signIn();
    const sub = (await client.authorizationCodeGrant(rp, new URL(first.done.url), { pkceCodeVerifier: first.verifier, expectedState: first.state })).claims()!.sub;
    expect(await check(sub)).toBe(true);
    expect(env.audit(tenant.id, 'sso.groups.mapped').at(-1)?.metadata).toMatchObject({ granted: ['admin'], removed: [] });
    claims = { sub: '00uOktaDan', email: 'dan@globex.test', groups: ['Everyone'] };
    const second = await signIn();
    expect(second.done.url).toMatch(/\/callback\?code=/);
    expect(await check(sub)).toBe(false);
    expect(env.audit(tenant.id, 'sso.groups.mapped').at(-1)?.metadata).toMatchObject({ granted: [], removed: ['admin'] });
  });

  it('refuses an unknown user when just-in-time provisioning is off (audited, generic to the user)', async () => {
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: false });
    claims = { sub: '00uOktaCarol', email: 'carol@globex.test' };
    const { done } = await signIn();
    expect(done.url).toMatch(/\/callback\?error=access_denied/);
    expect(decodeURIComponent(done.url)).not.toMatch(/provision|carol/i);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('user_not_provisioned');
    expect(env.services.directory.findUserByExternalId(tenant.id, '00uOktaCarol')).toBeUndefined();
  });

  it('refuses an upstream ID token with a nonce it did not send', async () => {
    claims = { sub: '00uOktaBob', email: 'bob@globex.test', nonce: 'not-the-nonce-we-sent' };
    const { done } = await signIn();
    expect(done.url).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'oidc_token_invalid', detail: expect.stringMatching(/nonce/) });
  });

  /** Our redirect to the upstream IdP, stopped there: the browser holds the login, the IdP has not answered. */
  async function atUpstream(): Promise<{ browser: Browser; state: string }> {
    const browser = new Browser();
    const { url } = await authorizationRequest(rp, { organization: 'globex' });
    const toIdp = await browser.follow(url.toString(), (l) => l.startsWith(upstream.issuer.url as string));
    return { browser, state: new URL(toIdp.url).searchParams.get('state') as string };
  }

  it("refuses the IdP's own error answer (the user cancelled), generic to the user, precise in the audit log", async () => {
    const { browser, state } = await atUpstream();
    const back = await browser.follow(`${env.base}/sso/oidc/${connectionId}/callback?error=access_denied&error_description=User+cancelled+the+login&state=${state}`, (l) => l.startsWith('http://127.0.0.1:9/'));
    expect(back.url).toMatch(/\/callback\?error=access_denied/);
    expect(decodeURIComponent(back.url)).not.toMatch(/cancelled/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'oidc_idp_error', detail: expect.stringMatching(/access_denied/) });
  });

  it('refuses a callback without a code, and spends the login state', async () => {
    const { browser, state } = await atUpstream();
    const callback = `${env.base}/sso/oidc/${connectionId}/callback?state=${state}`;
    const back = await browser.follow(callback, (l) => l.startsWith('http://127.0.0.1:9/'));
    expect(back.url).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('oidc_token_invalid');
    const again = await new Browser().request(`${callback}&code=late`);
    expect(again.status).toBe(400);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('login_state_unknown');
  });

  it('answers 404 to a callback for an unknown connection, recording nothing', async () => {
    const events = env.audit(tenant.id).length;
    const res = await new Browser().request(`${env.base}/sso/oidc/conn_01J0000000000000000000000/callback?code=x&state=y`);
    expect(res.status).toBe(404);
    expect(env.audit(tenant.id)).toHaveLength(events);
  });

  describe('an upstream IdP that cannot be reached', () => {
    let down: { id: string };
    let downConnection: string;
    let downRp: client.Configuration;

    beforeAll(async () => {
      down = await env.tenant('Down', 'down');
      downConnection = (
        await env.ok('POST', `/admin/v1/tenants/${down.id}/connections`, {
          name: 'Unreachable',
          protocol: 'oidc',
          status: 'active',
          oidc: { issuer: `http://127.0.0.1:${await freePort()}`, client_id: 'c', client_secret: 's', scopes: 'openid email' },
        })
      ).id;
      downRp = await env.rp(await env.app(down.id));
    });

    it('sends the person back to the app with the generic failure, and audits which connection failed and why', async () => {
      const { url } = await authorizationRequest(downRp, { organization: 'down' });
      const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
      expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=access_denied/);
      expect(env.audit(down.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'oidc_discovery_failed', connection_id: downConnection, detail: expect.any(String) });
    });

    it('files a token endpoint that went away between the redirect and the callback as oidc_idp_unreachable', async () => {
      const gone = await startUpstreamIdp();
      const conn = await env.ok('POST', `/admin/v1/tenants/${down.id}/connections`, {
        name: 'Goes away',
        protocol: 'oidc',
        status: 'active',
        oidc: { issuer: gone.issuer.url, client_id: 'c', client_secret: 's', scopes: 'openid email' },
      });
      const browser = new Browser();
      const { url } = await authorizationRequest(downRp, { organization: 'down', connection: conn.id });
      const atIdp = await browser.follow(url.toString(), (l) => l.startsWith(gone.issuer.url as string));
      const state = new URL(atIdp.url).searchParams.get('state');
      await gone.stop();
      const done = await browser.follow(`${env.base}/sso/oidc/${conn.id}/callback?code=abc&state=${state}`, (l) => l.startsWith('http://127.0.0.1:9/'));
      expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=access_denied/);
      expect(env.audit(down.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'oidc_idp_unreachable' });
    });

    it("answers an admin's test login with 422 idp_unreachable and the reason", async () => {
      const r = await env.api('POST', `/admin/v1/tenants/${down.id}/connections/${downConnection}/test-login`);
      expect([r.status, r.body.code]).toEqual([422, 'idp_unreachable']);
      expect(r.body.message).toMatch(/could not be used/);
    });
  });

  it('refuses a callback whose state it did not issue', async () => {
    const res = await new Browser().request(`${env.base}/sso/oidc/${connectionId}/callback?code=abc&state=forged`);
    expect(res.status).toBe(400);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('login_state_unknown');
  });
});
