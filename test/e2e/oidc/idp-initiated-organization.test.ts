import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * The organization an app asks for is binding, also right after a sign-in started at an IdP
 * (a dashboard tile): that sign-in's session answers only a request for its own tenant, through
 * its own connection, that does not ask for a fresh authentication.
 */
describe('an IdP-initiated sign-in and the organization the app then asks for', () => {
  let env: SsoEnv;
  const acmeIdp = new TestSamlIdp('http://www.okta.com/exkTILE', 'https://acme.okta.test/tile');
  const globexIdp = new TestSamlIdp('https://sts.windows.net/globex-tile/', 'https://login.microsoftonline.test/globex-tile/saml2');
  let acme: { id: string };
  let rp: client.Configuration;
  let acs: string;
  let audience: string;

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    const globex = await env.tenant('Globex', 'globex');
    await env.verifiedDomain(acme.id, 'acme.test');
    await env.verifiedDomain(globex.id, 'globex.test');
    const app = await env.app(acme.id, { multi_tenant: true, initiate_login_uri: 'http://127.0.0.1:9/login' });
    rp = await env.rp(app);
    const conn = await env.samlConnection(acme.id, acmeIdp, { saml: { allow_idp_initiated: true, idp_initiated_app_id: app.client_id } });
    acs = conn.saml.sp.acs_url;
    audience = conn.saml.sp.entity_id;
    await env.samlConnection(globex.id, globexIdp);
    env.provisionUser(acme.id, { userName: 'ida@acme.test', email: 'ida@acme.test', externalId: 'ida@acme.test' });
  });
  afterAll(() => env?.close());

  async function tileClick(): Promise<Browser> {
    const browser = new Browser();
    const raw = acmeIdp.response({ recipient: acs, audience, inResponseTo: null, nameId: 'ida@acme.test', attributes: { email: 'ida@acme.test' } });
    const landed = await browser.follow(acs, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: raw } });
    expect(new URL(landed.url).pathname).toBe('/login');
    return browser;
  }
  const stop = (l: string) => l.startsWith('http://127.0.0.1:9/') || l.startsWith(globexIdp.ssoUrl) || l.startsWith(acmeIdp.ssoUrl);

  it("sends a request for another organization to that organization's IdP, not back with the tile's session", async () => {
    const browser = await tileClick();
    const { url } = await authorizationRequest(rp, { organization: 'globex' });
    const next = await browser.follow(url.toString(), stop);
    expect(next.url.startsWith(globexIdp.ssoUrl)).toBe(true);
  });

  it("sends a login_hint of another tenant's domain to that tenant's IdP", async () => {
    const browser = await tileClick();
    const { url } = await authorizationRequest(rp, { login_hint: 'gil@globex.test' });
    const next = await browser.follow(url.toString(), stop);
    expect(next.url.startsWith(globexIdp.ssoUrl)).toBe(true);
  });

  it('sends a request asking for a fresh authentication (prompt=login) to the IdP, even for the tile\'s own organization', async () => {
    const browser = await tileClick();
    const { url } = await authorizationRequest(rp, { organization: 'acme', prompt: 'login' });
    const next = await browser.follow(url.toString(), stop);
    expect(next.url.startsWith(acmeIdp.ssoUrl)).toBe(true);
  });

  it("sends a request naming another of the tenant's connections to that connection's IdP", async () => {
    const otherIdp = new TestSamlIdp('http://www.okta.com/exkOTHER', 'https://other.okta.test/sso');
    const other = await env.samlConnection(acme.id, otherIdp, { name: 'Other' });
    try {
      const browser = await tileClick();
      const { url } = await authorizationRequest(rp, { organization: 'acme', connection: other.id });
      const next = await browser.follow(url.toString(), (l) => stop(l) || l.startsWith(otherIdp.ssoUrl));
      expect(next.url.startsWith(otherIdp.ssoUrl)).toBe(true);
    } finally {
      await env.ok('DELETE', `/admin/v1/tenants/${acme.id}/connections/${other.id}`);
    }
  });

  it("still completes a request for the tile's own organization without another IdP round trip", async () => {
    const browser = await tileClick();
    const { url, verifier, state } = await authorizationRequest(rp, { organization: 'acme' });
    const next = await browser.follow(url.toString(), stop);
    expect(next.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(next.url), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ org_id: acme.id });
  });
});
