import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/** IdP-initiated SAML (a tile in the Okta dashboard): off by default, on per connection. */
describe('IdP-initiated SAML sign-in', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let acs: string;
  let audience: string;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    const app = await env.app(tenant.id, { initiate_login_uri: 'http://127.0.0.1:9/login' });
    rp = await env.rp(app);
    const conn = await env.samlConnection(tenant.id, idp, { saml: { allow_idp_initiated: true, idp_initiated_app_id: app.client_id } });
    acs = conn.saml.sp.acs_url;
    audience = conn.saml.sp.entity_id;
    env.provisionUser(tenant.id, { userName: 'ida@acme.test', email: 'ida@acme.test', externalId: 'ida@acme.test' });
  });
  afterAll(() => env?.close());

  it("lands in the app's initiate_login_uri, and the app's authorization request completes without another IdP round trip", async () => {
    const browser = new Browser();
    const raw = idp.response({ recipient: acs, audience, inResponseTo: null, nameId: 'ida@acme.test', attributes: { email: 'ida@acme.test' } });
    const landed = await browser.follow(acs, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: raw } });
    const login = new URL(landed.url);
    expect(login.pathname).toBe('/login');
    expect(login.searchParams.get('iss')).toBe(`${env.base}/oidc`);
    expect(login.searchParams.get('login_hint')).toBe('ida@acme.test');
    // The app reacts as OIDC third-party-initiated login says: a normal code + PKCE request.
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(rp, { redirect_uri: 'http://127.0.0.1:9/callback', scope: 'openid email', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st', login_hint: 'ida@acme.test' });
    const done = await browser.follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/') || l.startsWith(idp.ssoUrl));
    expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: 'st' });
    expect(tokens.claims()).toMatchObject({ email: 'ida@acme.test', org_id: tenant.id });
  });

  it('still refuses an unsolicited response that claims to answer a request', async () => {
    const raw = idp.response({ recipient: acs, audience, inResponseTo: '_made_up', nameId: 'ida@acme.test' });
    const res = await new Browser().request(acs, { form: { SAMLResponse: raw } });
    expect(res.status).toBe(400);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('saml_unsolicited_response');
  });

  it("refuses an unsolicited response whose bearer confirmation window has passed, though its Conditions have not", async () => {
    const raw = idp.response({ recipient: acs, audience, inResponseTo: null, nameId: 'ida@acme.test', subjectNotOnOrAfter: new Date(Date.now() - 5 * 60_000), notOnOrAfter: new Date(Date.now() + 55 * 60_000) });
    const res = await new Browser().request(acs, { form: { SAMLResponse: raw } });
    expect(res.status).toBe(400);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('saml_subject_confirmation_expired');
  });

  it('cannot replay an IdP-initiated assertion', async () => {
    const raw = idp.response({ id: '_idp_init_once', recipient: acs, audience, inResponseTo: null, nameId: 'ida@acme.test' });
    const first = await new Browser().request(acs, { form: { SAMLResponse: raw } });
    expect(first.status).toBe(303);
    const second = await new Browser().request(acs, { form: { SAMLResponse: raw } });
    expect(second.status).toBe(400);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('saml_assertion_replayed');
  });

  it("refuses a tile click while the tenant is suspended, and creates no session; works again once resumed", async () => {
    const sessions = env.sessionCount();
    await env.ok('POST', `/admin/v1/tenants/${tenant.id}/suspend`);
    const raw = idp.response({ recipient: acs, audience, inResponseTo: null, nameId: 'ida@acme.test' });
    const refused = await new Browser().request(acs, { form: { SAMLResponse: raw } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).not.toMatch(/tenant_not_active|suspend/i);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('tenant_not_active');
    expect(env.sessionCount()).toBe(sessions);
    await env.ok('POST', `/admin/v1/tenants/${tenant.id}/resume`);
    const again = idp.response({ recipient: acs, audience, inResponseTo: null, nameId: 'ida@acme.test' });
    expect((await new Browser().request(acs, { form: { SAMLResponse: again } })).status).toBe(303);
  });
});
