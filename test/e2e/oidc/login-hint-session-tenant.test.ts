import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * A `login_hint` email routes a sign-in to the tenant that verified its domain; a browser's
 * session of another tenant must not answer such a request silently.
 */
describe('a login_hint for another tenant than the browser session', () => {
  let env: SsoEnv;
  const acmeIdp = new TestSamlIdp('http://www.okta.com/exkACME3', 'https://acme.okta.test/sso3');
  const globexIdp = new TestSamlIdp('https://sts.windows.net/globex-tid3/', 'https://login.microsoftonline.test/globex3/saml2');
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
    rp = await env.rp(await env.app(acme.id, { multi_tenant: true }));
  });
  afterAll(() => env?.close());

  async function acmeSession(): Promise<Browser> {
    const browser = new Browser();
    const flow = await env.samlLogin(browser, rp, acmeIdp, { login_hint: 'alice@acme.test' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    return browser;
  }

  it("sends a login_hint of tenant B's domain to B's IdP, not back with tenant A's session", async () => {
    const browser = await acmeSession();
    const { url } = await authorizationRequest(rp, { login_hint: 'gil@globex.test' });
    const next = await browser.follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/') || l.startsWith(globexIdp.ssoUrl) || l.startsWith(acmeIdp.ssoUrl));
    expect(next.url.startsWith(globexIdp.ssoUrl)).toBe(true);
  });

  it("still answers silently a login_hint of the session's own tenant", async () => {
    const browser = await acmeSession();
    const { url } = await authorizationRequest(rp, { login_hint: 'alice@acme.test' });
    const next = await browser.follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/') || l.startsWith(globexIdp.ssoUrl) || l.startsWith(acmeIdp.ssoUrl));
    expect(next.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
  });
});
