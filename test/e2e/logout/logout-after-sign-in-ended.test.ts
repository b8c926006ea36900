import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser, readForm } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';

const HOUR = 60 * 60 * 1000;

/**
 * Refresh tokens never outlive a logout (docs/sso.md, Lifetimes), `offline_access` ones
 * included. A person who signs out at Portcullis after their sign-in's 12 hours, while the
 * browser still holds the provider's session, signs out of what that sign-in issued too.
 */
describe('signing out after the sign-in has run its 12 hours', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp('http://www.okta.com/exkLATE', 'https://late.okta.test/sso');
  let rp: client.Configuration;
  let acme: { id: string };

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    await env.samlConnection(acme.id, idp);
    env.provisionUser(acme.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
    env.provisionUser(acme.id, { userName: 'bo@acme.test', email: 'bo@acme.test', externalId: 'bo@acme.test' });
    rp = await env.rp(await env.app(acme.id));
  });
  afterEach(() => vi.useRealTimers());
  afterAll(() => env?.close());

  /** Signs in with offline_access, comes back silently 11 hours in, then moves 2 hours on: the sign-in has ended. */
  async function offlineSignInPastItsEnd(browser: Browser, nameId: string) {
    // oidc-provider honours offline_access only with prompt=consent.
    const flow = await env.samlLogin(browser, rp, idp, { organization: 'acme', scope: 'openid email offline_access', prompt: 'consent' }, (req) => answerTo(req, nameId));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    // The app's silent sign-in 11 hours in keeps the browser's provider session.
    vi.setSystemTime(Date.now() + 11 * HOUR);
    const { url } = await authorizationRequest(rp, { organization: 'acme', prompt: 'none', scope: 'openid email' });
    expect((await browser.follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'))).url).toMatch(/\/callback\?code=/);
    vi.setSystemTime(Date.now() + 2 * HOUR);
    // The app keeps refreshing (offline_access outlives the sign-in's own lifetime).
    return client.refreshTokenGrant(rp, tokens.refresh_token as string);
  }

  it('ends the offline_access refresh token of that sign-in and audits the logout', async () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    const browser = new Browser();
    const latest = await offlineSignInPastItsEnd(browser, 'ada@acme.test');

    const endUrl = client.buildEndSessionUrl(rp, { id_token_hint: latest.id_token as string, post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out' });
    const form = readForm(await (await browser.request(endUrl.toString())).text());
    expect(form.fields.xsrf).toBeTruthy();
    const done = await browser.follow(new URL(form.action, env.base).toString(), (l) => l.startsWith('http://127.0.0.1:9/'), { form: { ...form.fields, logout: 'yes' } });
    expect(done.url).toMatch(/logged-out/);
    await expect(client.refreshTokenGrant(rp, latest.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(rp, latest.access_token)).active).toBe(false);
    expect(env.audit(acme.id, 'oidc.logout')).toHaveLength(1);
    expect(env.audit(acme.id, 'session.revoked').map((e) => e.metadata?.reason)).toEqual(['logout']);
  });

  // Someone else signing in in that browser ends every sign-in whose tokens still work there,
  // the ended one with offline_access refresh tokens too.
  it('ends the offline_access refresh token of that sign-in when someone else signs in in that browser', async () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    const browser = new Browser();
    const latest = await offlineSignInPastItsEnd(browser, 'ada@acme.test');
    const other = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, (req) => answerTo(req, 'bo@acme.test'));
    expect(other.landed).toMatch(/\/callback\?code=/);
    await expect(client.refreshTokenGrant(rp, latest.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
