import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser, readForm } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * A session that ends (logout, or replaced by a sign-in to another tenant) takes with it what
 * was issued under it: its access tokens introspect inactive and userinfo refuses them, also
 * when the app asked for `offline_access` (which makes oidc-provider keep the grant past logout).
 */
describe('access tokens of an ended session', () => {
  let env: SsoEnv;
  const acmeIdp = new TestSamlIdp('http://www.okta.com/exkACME2', 'https://acme.okta.test/sso2');
  const globexIdp = new TestSamlIdp('https://sts.windows.net/globex-tid2/', 'https://login.microsoftonline.test/globex2/saml2');
  let acme: { id: string };
  let globex: { id: string };
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    globex = await env.tenant('Globex', 'globex');
    await env.verifiedDomain(acme.id, 'acme.test');
    await env.verifiedDomain(globex.id, 'globex.test');
    await env.samlConnection(acme.id, acmeIdp);
    await env.samlConnection(globex.id, globexIdp);
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test' });
    env.provisionUser(globex.id, { userName: 'gil@globex.test', email: 'gil@globex.test' });
    rp = await env.rp(await env.app(acme.id, { multi_tenant: true }));
  });
  afterAll(() => env?.close());

  const person = (email: string) => () => ({ nameId: email, attributes: { email } });
  async function signIn(browser: Browser, idp: TestSamlIdp, organization: string, email: string, offline = false) {
    // oidc-provider honours offline_access only with prompt=consent (OIDC Core 11).
    const extra: Record<string, string> = offline ? { scope: 'openid email offline_access', prompt: 'consent' } : { scope: 'openid email' };
    const flow = await env.samlLogin(browser, rp, idp, { organization, ...extra }, person(email));
    expect(flow.landed, String(env.audit(acme.id, 'sso.login.failed').at(-1)?.metadata?.reason)).toMatch(/\/callback\?code=/);
    return client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
  }

  it.each([false, true])("stops tenant A's access token when the browser signs in to tenant B (offline_access: %s)", async (offline) => {
    const browser = new Browser();
    const a = await signIn(browser, acmeIdp, 'acme', 'alice@acme.test', offline);
    expect(await client.tokenIntrospection(rp, a.access_token)).toMatchObject({ active: true, org_id: acme.id });
    await signIn(browser, globexIdp, 'globex', 'gil@globex.test');
    expect(env.audit(acme.id, 'session.revoked').at(-1)?.metadata?.reason).toBe('replaced_by_new_login');
    expect((await client.tokenIntrospection(rp, a.access_token)).active).toBe(false);
    if (a.refresh_token) expect((await client.tokenIntrospection(rp, a.refresh_token)).active).toBe(false);
  });

  it('stops the access token of a session ended by RP-initiated logout, also one granted offline_access', async () => {
    const browser = new Browser();
    const t = await signIn(browser, acmeIdp, 'acme', 'alice@acme.test', true);
    expect((await client.tokenIntrospection(rp, t.access_token)).active).toBe(true);
    const endUrl = client.buildEndSessionUrl(rp, { id_token_hint: t.id_token as string, post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out' });
    const form = readForm(await (await browser.request(endUrl.toString())).text());
    const done = await browser.follow(new URL(form.action, env.base).toString(), (l) => l.startsWith('http://127.0.0.1:9/'), { form: { ...form.fields, logout: 'yes' } });
    expect(done.url).toMatch(/logged-out/);
    expect(env.audit(acme.id, 'oidc.logout')).toHaveLength(1);
    await expect(client.refreshTokenGrant(rp, t.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(rp, t.access_token)).active).toBe(false);
    expect((await client.tokenIntrospection(rp, t.refresh_token as string)).active).toBe(false);
  });
});
