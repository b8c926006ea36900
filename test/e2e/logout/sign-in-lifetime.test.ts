import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';

const HOUR = 60 * 60 * 1000;

/**
 * A sign-in lasts 12 hours (docs/sso.md, Lifetimes). What was issued under it without
 * `offline_access` ends with it, and an app's later authorization request is answered under the
 * sign-in the browser holds now, never under one that has ended.
 */
describe('the end of a sign-in', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp('http://www.okta.com/exkLIFE', 'https://life.okta.test/sso');
  let rpA: client.Configuration;
  let rpB: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    const acme = await env.tenant('Acme', 'acme');
    await env.samlConnection(acme.id, idp);
    env.provisionUser(acme.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
    env.provisionUser(acme.id, { userName: 'bo@acme.test', email: 'bo@acme.test', externalId: 'bo@acme.test' });
    rpA = await env.rp(await env.app(acme.id));
    rpB = await env.rp(await env.app(acme.id));
  });
  afterEach(() => vi.useRealTimers());
  afterAll(() => env?.close());

  async function samlSignIn(browser: Browser, rp: client.Configuration, nameId: string, groups: string[]) {
    const flow = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, (req) => answerTo(req, nameId, { attributes: { email: nameId, groups } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    return client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
  }

  /** An authorization request the provider answers from the browser's session (no IdP). */
  async function silent(browser: Browser, rp: client.Configuration, params: Record<string, string> = { prompt: 'none' }) {
    const { url, verifier, state } = await authorizationRequest(rp, { organization: 'acme', ...params });
    const landed = await browser.follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    return { landed: landed.url, verifier, state };
  }

  // The provider's browser session is saved with a fresh 12-hour TTL at every request that
  // carries its cookie (oidc-provider's ttl.Session is a number), so it outlives the sign-in; a
  // token without offline_access must still end with the sign-in, not with that session.
  it('a refresh token without offline_access stops refreshing once the sign-in has ended, however often the browser comes back', async () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    const browser = new Browser();
    const tokens = await samlSignIn(browser, rpA, 'ada@acme.test', []);
    // The browser comes back (any app's request) 11 hours in, and again after the sign-in ended.
    vi.setSystemTime(Date.now() + 11 * HOUR);
    expect((await silent(browser, rpA)).landed).toMatch(/\/callback\?code=/);
    vi.setSystemTime(Date.now() + 2 * HOUR);
    expect((await silent(browser, rpA)).landed).toMatch(/\/callback\?error=/);
    vi.setSystemTime(Date.now() + 5 * HOUR);
    // 18 hours after the person authenticated, without authenticating again.
    await expect(client.refreshTokenGrant(rpA, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it("an app's authorization request after the person signed in again is answered under the new sign-in, not the ended one", async () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    const browser = new Browser();
    await samlSignIn(browser, rpA, 'bo@acme.test', ['Admins']);
    // App B joins the single sign-on session (no IdP round trip).
    const first = await silent(browser, rpB, {});
    expect(first.landed).toMatch(/\/callback\?code=/);
    const b1 = await client.authorizationCodeGrant(rpB, new URL(first.landed), { pkceCodeVerifier: first.verifier, expectedState: first.state });
    expect(b1.claims()?.groups).toContain('Admins');
    // The browser comes back 11 hours in; 2 hours later the sign-in has ended and the person
    // signs in again, no longer in Admins at the IdP.
    vi.setSystemTime(Date.now() + 11 * HOUR);
    expect((await silent(browser, rpA)).landed).toMatch(/\/callback\?code=/);
    vi.setSystemTime(Date.now() + 2 * HOUR);
    await samlSignIn(browser, rpA, 'bo@acme.test', []);
    const again = await silent(browser, rpB, {});
    expect(again.landed).toMatch(/\/callback\?code=/);
    const b2 = await client.authorizationCodeGrant(rpB, new URL(again.landed), { pkceCodeVerifier: again.verifier, expectedState: again.state });
    expect(b2.claims()?.groups ?? []).not.toContain('Admins');
  });
});
