import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';

/**
 * Native apps (RFC 8252): a desktop or mobile app registers a private-use-scheme redirect URI
 * (`com.example.app:/callback`) or a loopback one, is a public client with PKCE, and receives the
 * code there. And, for every app, OIDC Core's rule that the authorization request names its
 * redirect_uri even when the app registered only one.
 */
describe('native apps and redirect URIs', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let app: { client_id: string };
  let rp: client.Configuration;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    await env.samlConnection(tenant.id, idp);
    env.provisionUser(tenant.id, { userName: 'nat@acme.test', email: 'nat@acme.test', externalId: 'nat@acme.test' });
    app = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/apps`, {
      name: 'Acme desktop',
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      redirect_uris: ['com.acme.desktop:/oauth/callback', 'http://127.0.0.1/oauth/callback'],
      post_logout_redirect_uris: [],
    });
    rp = await client.discovery(new URL(`${env.base}/oidc`), app.client_id, undefined, client.None(), { execute: [client.allowInsecureRequests] });
  });
  afterAll(() => env?.close());

  /** A sign-in to `redirectUri` through the SAML IdP; where the browser was sent in the end. */
  async function signIn(redirectUri: string, params: Record<string, string> = {}): Promise<{ landed: string; verifier: string; state: string }> {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(rp, { redirect_uri: redirectUri, scope: 'openid email', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, organization: 'acme', ...params });
    const browser = new Browser();
    const out = (l: string) => !l.startsWith(env.base);
    const toIdp = await browser.follow(url.toString(), out);
    if (!toIdp.url.startsWith(idp.ssoUrl)) return { landed: toIdp.res ? `${toIdp.res.status} ${await toIdp.res.text()}` : toIdp.url, verifier, state };
    const req = TestSamlIdp.readAuthnRequest(toIdp.url);
    const back = await browser.follow(req.acs, out, { form: { SAMLResponse: idp.response(answerTo(req, 'nat@acme.test')), RelayState: req.relayState } });
    return { landed: back.url, verifier, state };
  }

  it('delivers the code to the private-use-scheme redirect URI of a public native app, which redeems it with PKCE', async () => {
    const { landed, verifier, state } = await signIn('com.acme.desktop:/oauth/callback');
    expect(landed).toMatch(/^com\.acme\.desktop:\/oauth\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(landed), { pkceCodeVerifier: verifier, expectedState: state }, { redirect_uri: 'com.acme.desktop:/oauth/callback' });
    expect(tokens.claims()).toMatchObject({ email: 'nat@acme.test', org_id: tenant.id });
  });

  it('accepts its loopback redirect URI on whatever port the app listens on (RFC 8252 §7.3), and nothing else', async () => {
    expect((await signIn('http://127.0.0.1:51234/oauth/callback')).landed).toMatch(/^http:\/\/127\.0\.0\.1:51234\/oauth\/callback\?code=/);
    expect((await signIn('http://127.0.0.1:51234/elsewhere')).landed).toMatch(/^400 /);
    expect((await signIn('com.acme.desktop:/other')).landed).toMatch(/^400 /);
  });

  it('is a native app also when its scheme is written in mixed case (an iOS bundle id), and gets its code there (schemes are case-insensitive)', async () => {
    const mobile = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/apps`, {
      name: 'Acme mobile',
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'none',
      redirect_uris: ['com.Acme.Mobile:/oauth/callback'],
      post_logout_redirect_uris: [],
    });
    const saved = rp;
    rp = await client.discovery(new URL(`${env.base}/oidc`), mobile.client_id, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    try {
      expect((await signIn('com.Acme.Mobile:/oauth/callback')).landed).toMatch(/^com\.acme\.mobile:\/oauth\/callback\?code=/i);
    } finally {
      rp = saved;
    }
  });

  it('refuses to register a native app with an https redirect URI on a loopback host, which the provider would never accept for it', async () => {
    const before = (await env.ok('GET', `/admin/v1/tenants/${tenant.id}/apps`)).data.length;
    for (const uris of [
      { redirect_uris: ['com.acme.desktop:/oauth/callback', 'https://localhost:8443/oauth/callback'], post_logout_redirect_uris: [] },
      { redirect_uris: ['com.acme.desktop:/oauth/callback'], post_logout_redirect_uris: ['https://127.0.0.1/signed-out'] },
    ]) {
      const r = await env.api('POST', `/admin/v1/tenants/${tenant.id}/apps`, { name: 'Acme desktop', grant_types: ['authorization_code'], token_endpoint_auth_method: 'none', ...uris });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'invalid_uri', message: expect.stringMatching(/native app.*http:\/\/127\.0\.0\.1/) });
    }
    expect((await env.ok('GET', `/admin/v1/tenants/${tenant.id}/apps`)).data.length).toBe(before);
  });

  it('refuses an authorization request without redirect_uri, even from an app with a single registered one', async () => {
    const single = await env.app(tenant.id);
    const res = await fetch(`${env.base}/oidc/auth?${new URLSearchParams({ client_id: single.client_id, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 's' })}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/redirect_uri/);
  });
});
