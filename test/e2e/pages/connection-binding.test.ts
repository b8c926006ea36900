import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * The `connection` an app names is binding, like its `organization`: the person's browser is
 * sent to that IdP, and neither an edited `/start` link nor what they type in the home-realm
 * form moves the sign-in to another of the tenant's IdPs (an app that requires its employees'
 * IdP must not get an ID token from the partner's).
 */
describe("the app's connection parameter holds on every interaction step", () => {
  let env: SsoEnv;
  const employees = new TestSamlIdp();
  const partner = new TestSamlIdp('http://www.okta.com/exkPARTNER', 'https://partner.idp.test/sso');
  const globexIdp = new TestSamlIdp('http://www.okta.com/exkGLOBEX', 'https://globex.idp.test/sso');
  let acme: { id: string };
  let globex: { id: string };
  let okta: { id: string };
  let partnerConnection: { id: string };
  let rp: client.Configuration;
  let sharedRp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    globex = await env.tenant('Globex', 'globex');
    okta = await env.samlConnection(acme.id, employees, { name: 'Employees' });
    partnerConnection = await env.samlConnection(acme.id, partner, { name: 'Partner' });
    await env.samlConnection(globex.id, globexIdp, { name: 'Globex' });
    rp = await env.rp(await env.app(acme.id));
    sharedRp = await env.rp(await env.app(acme.id, { name: 'B2B', multi_tenant: true }));
  });
  afterAll(() => env?.close());

  const isIdpOrApp = (l: string) => [employees.ssoUrl, partner.ssoUrl, globexIdp.ssoUrl, 'http://127.0.0.1:9/'].some((p) => l.startsWith(p));

  it('an edited start link naming another connection of the tenant still goes to the connection the app named', async () => {
    const browser = new Browser();
    const { url } = await authorizationRequest(rp, { connection: okta.id });
    const interaction = new URL((await browser.follow(url.toString(), (l) => l.includes('/oidc/interaction/'))).url);
    const edited = await browser.follow(`${interaction.origin}${interaction.pathname}/start?organization=${acme.id}&connection=${partnerConnection.id}`, isIdpOrApp);
    expect(edited.url.startsWith(partner.ssoUrl)).toBe(false);
    expect(edited.url.startsWith(employees.ssoUrl)).toBe(true);
  });

  it("the home-realm form keeps the app's connection: the organization typed is routed to it, or the sign-in ends when it is another tenant's", async () => {
    const ask = async () => {
      const browser = new Browser();
      const { url } = await authorizationRequest(sharedRp, { connection: okta.id });
      const picker = await browser.follow(url.toString(), () => false);
      expect(picker.res?.status).toBe(200); // no organization: the person is asked
      return { browser, discover: `${picker.url}/discover` };
    };
    const own = await ask();
    const routed = await own.browser.follow(own.discover, isIdpOrApp, { form: { organization: 'acme' } });
    expect(routed.url.startsWith(employees.ssoUrl)).toBe(true);

    const elsewhere = await ask();
    const refused = await elsewhere.browser.follow(elsewhere.discover, isIdpOrApp, { form: { organization: 'globex' } });
    expect(refused.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=access_denied/);
    expect(env.audit(globex.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('connection_not_available');
  });
});
