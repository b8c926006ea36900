import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';
import { ProviderIdp } from '../../helpers/oidc-provider-idp.ts';

const now = () => Math.floor(Date.now() / 1000);

/** One authorization request by the app in `browser`, to the end (tokens when it got a code). */
async function signIn(env: SsoEnv, rp: client.Configuration, browser: Browser, params: Record<string, string>) {
  const { url, verifier, state } = await authorizationRequest(rp, params);
  const done = await browser.follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
  const landed = new URL(done.url);
  const tokens = landed.searchParams.has('code') ? await client.authorizationCodeGrant(rp, landed, { pkceCodeVerifier: verifier, expectedState: state }) : undefined;
  return { landed, claims: tokens?.claims() };
}

/** Step-up through an upstream OIDC IdP (oauth2-mock-server, which answers whatever it is asked). */
describe('step-up (re-authentication) through an upstream OIDC IdP', () => {
  let env: SsoEnv;
  let upstream: OAuth2Server;
  let tenant: { id: string };
  let rp: client.Configuration;
  /** When the IdP says the person authenticated (`auth_time` in its ID tokens). */
  let idpAuthTime = 0;
  /** The query of each authorization request that reached the IdP. */
  const asked: Record<string, unknown>[] = [];

  beforeAll(async () => {
    upstream = await startUpstreamIdp(() => ({ sub: '00uPayer', email: 'payer@initrode.test', auth_time: idpAuthTime }));
    upstream.service.on('beforeAuthorizeRedirect', (_uri, req) => asked.push({ ...req.query }));
    env = await SsoEnv.start();
    tenant = await env.tenant('Initrode', 'initrode');
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
      name: 'Okta OIDC',
      protocol: 'oidc',
      status: 'active',
      attribute_preset: 'okta',
      oidc: { issuer: upstream.issuer.url, client_id: 'portcullisokta', client_secret: 'upstream-secret', scopes: 'openid email profile' },
    });
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(async () => {
    await env?.close();
    await upstream?.stop();
  });

  const go = (browser: Browser, params: Record<string, string> = {}) => signIn(env, rp, browser, { organization: 'initrode', ...params });

  it("asks an ordinary sign-in without prompt or max_age, and the ID token's auth_time is the IdP's", async () => {
    idpAuthTime = now() - 20 * 60;
    const first = await go(new Browser());
    expect(asked.at(-1)).not.toHaveProperty('prompt');
    expect(asked.at(-1)).not.toHaveProperty('max_age');
    expect(first.claims?.auth_time).toBe(idpAuthTime);
    expect(env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.metadata).not.toHaveProperty('forced_reauthentication');
  });

  it("passes prompt=login and the app's max_age on to the IdP, and reports its new authentication (audited as forced)", async () => {
    const browser = new Browser();
    idpAuthTime = now() - 20 * 60;
    await go(browser);
    idpAuthTime = now();
    const stepUp = await go(browser, { prompt: 'login', max_age: '120' });
    expect(asked.at(-1)).toMatchObject({ prompt: 'login', max_age: '120' });
    expect(stepUp.claims?.auth_time).toBe(idpAuthTime);
    expect(env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.metadata).toMatchObject({ forced_reauthentication: true });
  });

  it('refuses an IdP that answers prompt=login from its earlier authentication, with access_denied to the app and the reason audited', async () => {
    const browser = new Browser();
    idpAuthTime = now() - 20 * 60;
    await go(browser);
    const sessions = env.sessionCount();
    const refused = await go(browser, { prompt: 'login' });
    expect(asked.at(-1)).toMatchObject({ prompt: 'login' });
    expect(refused.landed.searchParams.get('error')).toBe('access_denied');
    expect(env.sessionCount()).toBe(sessions);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({
      reason: 'idp_reauthentication_not_performed',
      detail: expect.stringContaining('prompt=login'),
    });
  });
});

/** The same with a second oidc-provider as the IdP: it runs its own login prompt when asked to. */
describe('step-up through an upstream oidc-provider', () => {
  let env: SsoEnv;
  let idp: ProviderIdp;
  let rp: client.Configuration;

  beforeAll(async () => {
    idp = await ProviderIdp.start();
    // Portcullis on another host name than the IdP: both are oidc-provider, whose cookies (same
    // names) would otherwise overwrite each other in the one browser, as they would in a real one.
    env = await SsoEnv.start({ host: 'localhost' });
    const tenant = await env.tenant('Vandelay', 'vandelay');
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    const conn = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
      name: 'Corporate IdP',
      protocol: 'oidc',
      status: 'active',
      oidc: { issuer: idp.issuer, client_id: 'portcullis', client_secret: 'upstream-secret', scopes: 'openid email profile' },
    });
    idp.configure({ client_id: 'portcullis', client_secret: 'upstream-secret', redirect_uris: [conn.oidc.redirect_uri], token_endpoint_auth_method: 'client_secret_basic' }, ['client_secret_basic']);
    idp.nextUser = { sub: 'art', claims: { email: 'art@vandelay.test', email_verified: true } };
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(async () => {
    await env?.close();
    await idp?.close();
  });

  it("makes the IdP authenticate the person again for prompt=login, and the ID token carries the IdP's auth_time", async () => {
    const browser = new Browser();
    const first = await signIn(env, rp, browser, { organization: 'vandelay' });
    expect(first.claims?.email).toBe('art@vandelay.test');
    expect(idp.interactions).toHaveLength(1);
    expect(idp.interactions[0]?.params).not.toHaveProperty('prompt');
    const before = now();
    const stepUp = await signIn(env, rp, browser, { organization: 'vandelay', prompt: 'login' });
    expect(idp.interactions).toHaveLength(2);
    expect(idp.interactions[1]?.params).toMatchObject({ prompt: 'login' });
    expect(idp.interactions[1]?.reasons).toContain('login_prompt');
    expect(stepUp.claims?.auth_time).toBeGreaterThanOrEqual(before);
    expect(stepUp.claims?.sub).toBe(first.claims?.sub);
  });
});
