import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser, readForm } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * A browser that stepped up (prompt=login) holds two sign-ins of the same person under one
 * provider session. Signing out there (RP-initiated logout), or signing in there as someone
 * else, ends both: the tokens of the sign-in before the step-up stop too, also a refresh token
 * granted offline_access.
 */
describe('ending a browser session after a step-up', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp('http://www.okta.com/exkSTEP', 'https://step.okta.test/sso');
  let rp: client.Configuration;
  let acme: { id: string };

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    await env.verifiedDomain(acme.id, 'acme.test');
    await env.samlConnection(acme.id, idp);
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test' });
    env.provisionUser(acme.id, { userName: 'bob@acme.test', email: 'bob@acme.test' });
    rp = await env.rp(await env.app(acme.id));
  });
  afterAll(() => env?.close());

  async function signIn(browser: Browser, params: Record<string, string>, email = 'alice@acme.test') {
    const flow = await env.samlLogin(browser, rp, idp, { organization: 'acme', ...params }, () => ({ nameId: email, attributes: { email } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    return client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
  }

  it("ends the sign-in from before the step-up as well at RP-initiated logout, with its offline_access refresh token", async () => {
    const browser = new Browser();
    // oidc-provider honours offline_access only with prompt=consent.
    const before = await signIn(browser, { scope: 'openid email offline_access', prompt: 'consent' });
    const stepped = await signIn(browser, { prompt: 'login' });
    const endUrl = client.buildEndSessionUrl(rp, { id_token_hint: stepped.id_token as string, post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out' });
    const form = readForm(await (await browser.request(endUrl.toString())).text());
    const done = await browser.follow(new URL(form.action, env.base).toString(), (l) => l.startsWith('http://127.0.0.1:9/'), { form: { ...form.fields, logout: 'yes' } });
    expect(done.url).toMatch(/logged-out/);
    await expect(client.refreshTokenGrant(rp, before.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(rp, before.access_token)).active).toBe(false);
    expect(env.audit(acme.id, 'session.revoked').filter((e) => e.metadata?.reason === 'logout')).toHaveLength(2);
  });

  it('ends the sign-in from before the step-up as well when someone else signs in in that browser', async () => {
    const browser = new Browser();
    const before = await signIn(browser, { scope: 'openid email offline_access', prompt: 'consent' });
    await signIn(browser, { prompt: 'login' });
    await signIn(browser, { prompt: 'login' }, 'bob@acme.test');
    await expect(client.refreshTokenGrant(rp, before.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(rp, before.access_token)).active).toBe(false);
  });
});
