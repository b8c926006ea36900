import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * The `connection` an app names is binding like the organization: a browser signed in through
 * one of the tenant's IdPs is sent to the other IdP when the app asks for that one, and is
 * answered at once when it asks for the one it came through (or names none).
 */
describe('a live session and the connection the app asks for', () => {
  let env: SsoEnv;
  const employees = new TestSamlIdp('http://www.okta.com/exkEMPL', 'https://employees.okta.test/sso');
  const partners = new TestSamlIdp('https://partner.example/saml/idp', 'https://idp.partner.test/sso');
  let rp: client.Configuration;
  let okta: { id: string };
  let partner: { id: string };

  beforeAll(async () => {
    env = await SsoEnv.start();
    const acme = await env.tenant('Acme', 'acme');
    okta = await env.samlConnection(acme.id, employees, { name: 'Employees' });
    partner = await env.samlConnection(acme.id, partners, { name: 'Partners' });
    env.provisionUser(acme.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
    rp = await env.rp(await env.app(acme.id));
  });
  afterAll(() => env?.close());

  const stop = (l: string) => l.startsWith('http://127.0.0.1:9/') || l.startsWith(employees.ssoUrl) || l.startsWith(partners.ssoUrl);

  it("sends a request naming the other connection to that connection's IdP, and answers one naming its own at once", async () => {
    const browser = new Browser();
    const flow = await env.samlLogin(browser, rp, employees, { organization: 'acme', connection: okta.id }, () => ({ nameId: 'ada@acme.test', attributes: { email: 'ada@acme.test' } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);

    const same = await authorizationRequest(rp, { organization: 'acme', connection: okta.id });
    const answered = await browser.follow(same.url.toString(), stop);
    expect(answered.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(answered.url), { pkceCodeVerifier: same.verifier, expectedState: same.state });
    expect(tokens.claims()).toMatchObject({ connection_id: okta.id });

    const none = await authorizationRequest(rp, { organization: 'acme' });
    expect((await browser.follow(none.url.toString(), stop)).url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);

    const other = await authorizationRequest(rp, { organization: 'acme', connection: partner.id });
    expect((await browser.follow(other.url.toString(), stop)).url.startsWith(partners.ssoUrl)).toBe(true);
  });
});
