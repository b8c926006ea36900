import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';

const sleepUntil = (t: Date) => new Promise((r) => setTimeout(r, Math.max(0, t.getTime() - Date.now()) + 300));

/**
 * The IdP bounds its own session (SAML `SessionNotOnOrAfter`, e.g. an 8-hour policy): the
 * sign-in ends then, and with it what the app holds — refresh tokens, which otherwise outlive
 * the browser session (30 days with `offline_access`, the provider session's 12 hours without),
 * stop refreshing and introspect as inactive, and userinfo stops answering.
 */
describe("a sign-in ends when the IdP's session does", () => {
  let env: SsoEnv;
  let idp: TestSamlIdp;
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    const tenant = await env.tenant('Acme', 'acme');
    idp = new TestSamlIdp();
    await env.samlConnection(tenant.id, idp);
    rp = await env.rp(await env.app(tenant.id));
    env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
  });
  afterAll(() => env?.close());

  /** A sign-in whose assertion says the IdP's session ends at `ends` (none: no bound), then one refresh (rotation). */
  async function signIn(params: Record<string, string>, ends: Date | undefined) {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme', ...params }, (req) => answerTo(req, 'ada@acme.test', ends ? { sessionNotOnOrAfter: ends } : {}));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    const sub = tokens.claims()!.sub;
    const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token as string);
    expect((await client.fetchUserInfo(rp, refreshed.access_token, sub)).sub).toBe(sub);
    expect((await client.tokenIntrospection(rp, refreshed.refresh_token as string)).active).toBe(true);
    return { sub, refreshed };
  }

  it.each([
    ['without offline_access', {}],
    ['with offline_access', { scope: 'openid email offline_access', prompt: 'consent' }],
  ])('refreshes until SessionNotOnOrAfter, then answers invalid_grant, introspects inactive and serves no userinfo (%s)', async (_label, params) => {
    const ends = new Date(Date.now() + 2_500);
    const bounded = await signIn(params, ends);
    const unbounded = await signIn(params, undefined);
    await sleepUntil(ends);

    expect((await client.tokenIntrospection(rp, bounded.refreshed.refresh_token as string)).active).toBe(false);
    await expect(client.refreshTokenGrant(rp, bounded.refreshed.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(rp, bounded.refreshed.access_token, bounded.sub)).rejects.toBeTruthy();
    // The control, signed in at the same time without an IdP bound: its tokens still work.
    const again = await client.refreshTokenGrant(rp, unbounded.refreshed.refresh_token as string);
    expect((await client.fetchUserInfo(rp, again.access_token, unbounded.sub)).sub).toBe(unbounded.sub);
  });
});
