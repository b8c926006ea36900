import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { LogoutReceiver } from '../../helpers/logout-receiver.ts';

/** Which tenant a sign-in belongs to, and that a session never crosses tenants. */
describe('home-realm discovery and tenant binding', () => {
  let env: SsoEnv;
  const acmeIdp = new TestSamlIdp('http://www.okta.com/exkACME', 'https://acme.okta.test/sso');
  const globexIdp = new TestSamlIdp('https://sts.windows.net/globex-tid/', 'https://login.microsoftonline.test/globex/saml2');
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
    await env.samlConnection(globex.id, globexIdp, {
      name: 'Entra ID',
      attribute_preset: 'entra',
    });
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test' });
    env.provisionUser(globex.id, { userName: 'gil@globex.test', email: 'gil@globex.test', externalId: 'oid-gil' });
    // The B2B app is registered once, by the platform, and serves every tenant.
    const app = await env.app(acme.id, { multi_tenant: true });
    rp = await env.rp(app);
  });
  afterAll(() => env?.close());

  const alice = () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } });
  const gil = () => ({
    nameId: 'gil@globex.test',
    attributes: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid-gil', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'gil@globex.test' },
  });
  const code = async (landed: string, verifier: string, state: string) =>
    (await client.authorizationCodeGrant(rp, new URL(landed), { pkceCodeVerifier: verifier, expectedState: state })).claims()!;

  it("routes a login_hint email to the tenant that verified the email's domain", async () => {
    const flow = await env.samlLogin(new Browser(), rp, globexIdp, { login_hint: 'gil@globex.test' }, gil);
    expect(flow.landed).toMatch(/\/callback\?code=/);
    expect(await code(flow.landed, flow.verifier, flow.state)).toMatchObject({ org_slug: 'globex', email: 'gil@globex.test' });
  });

  it('asks for an email when the request names no tenant, then routes by its domain', async () => {
    const browser = new Browser();
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(rp, { redirect_uri: 'http://127.0.0.1:9/callback', scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's1' });
    const picker = await browser.follow(url.toString(), () => false);
    const html = await picker.res!.text();
    expect(html).toMatch(/Work email/);
    const action = new URL(/action="([^"]+)"/.exec(html)![1]!, env.base).toString();
    const unknown = await browser.request(action, { form: { email: 'someone@unknown.test' } });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toMatch(/No organization uses single sign-on/);
    const toIdp = await browser.follow(action, (l) => l.startsWith(acmeIdp.ssoUrl), { form: { email: 'alice@acme.test' } });
    expect(toIdp.url.startsWith(acmeIdp.ssoUrl)).toBe(true);
  });

  it("never reuses tenant A's session for tenant B: the B login goes to B's IdP", async () => {
    const browser = new Browser();
    const a = await env.samlLogin(browser, rp, acmeIdp, { organization: 'acme' }, alice);
    expect(await code(a.landed, a.verifier, a.state)).toMatchObject({ org_slug: 'acme' });
    // Same browser, same app, other organization: Acme's session must not answer.
    const b = await env.samlLogin(browser, rp, globexIdp, { organization: 'globex' }, gil);
    expect(b.landed).toMatch(/\/callback\?code=/);
    expect(await code(b.landed, b.verifier, b.state)).toMatchObject({ org_slug: 'globex', email: 'gil@globex.test' });
    expect(env.audit(acme.id, 'session.revoked').at(-1)?.metadata?.reason).toBe('replaced_by_new_login');
    // And back to Acme: Globex's session does not answer for Acme either.
    const again = await env.samlLogin(browser, rp, acmeIdp, { organization: 'acme' }, alice);
    expect(await code(again.landed, again.verifier, again.state)).toMatchObject({ org_slug: 'acme' });
  });

  it("tells the app over the back channel when a sign-in to tenant B ends the browser's tenant A session, whose tokens then stop", async () => {
    const receiver = await new LogoutReceiver().start(`${env.base}/oidc`);
    try {
      const app = await env.app(acme.id, { multi_tenant: true, backchannel_logout_uri: receiver.url });
      receiver.audience = app.client_id;
      const withLogout = await env.rp(app);
      const browser = new Browser();
      const a = await env.samlLogin(browser, withLogout, acmeIdp, { organization: 'acme' }, alice);
      const acmeTokens = await client.authorizationCodeGrant(withLogout, new URL(a.landed), { pkceCodeVerifier: a.verifier, expectedState: a.state });
      const b = await env.samlLogin(browser, withLogout, globexIdp, { organization: 'globex' }, gil);
      expect(b.landed).toMatch(/\/callback\?code=/);
      expect(receiver.tokens.map((t) => [t.sub, t.sid])).toEqual([[acmeTokens.claims()!.sub, acmeTokens.claims()!.sid]]);
      await expect(client.refreshTokenGrant(withLogout, acmeTokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    } finally {
      await receiver.close();
    }
  });

  it('keeps the organization the app asked for: what the person types cannot move the sign-in to another tenant', async () => {
    const browser = new Browser();
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    const interaction = new URL((await browser.follow(url.toString(), (l) => l.includes('/oidc/interaction/'))).url);
    const typed = await browser.follow(`${interaction.origin}${interaction.pathname}/discover`, (l) => l.startsWith(acmeIdp.ssoUrl) || l.startsWith(globexIdp.ssoUrl), {
      form: { organization: 'globex', email: 'gil@globex.test' },
    });
    expect(typed.url.startsWith(acmeIdp.ssoUrl)).toBe(true);
  });

  it('ends a sign-in for an organization that does not exist at the app, instead of asking for another', async () => {
    const { url } = await authorizationRequest(rp, { organization: 'no-such-org' });
    const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=access_denied/);
  });

  it('reuses a live session for the same tenant without another IdP round trip', async () => {
    const browser = new Browser();
    const first = await env.samlLogin(browser, rp, acmeIdp, { organization: 'acme' }, alice);
    await code(first.landed, first.verifier, first.state);
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(rp, { redirect_uri: 'http://127.0.0.1:9/callback', scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's2', organization: 'acme' });
    const silent = await browser.follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/') || l.startsWith(acmeIdp.ssoUrl));
    expect(silent.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    expect(await code(silent.url, verifier, 's2')).toMatchObject({ org_slug: 'acme' });
  });

  it("refuses a single-tenant app's login for another tenant", async () => {
    const own = await env.rp(await env.app(acme.id));
    const flow = await env.samlLogin(new Browser(), own, globexIdp, { organization: 'globex' }, gil);
    expect(flow.landed).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(acme.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('organization_not_allowed_for_app');
  });

  it('lets the person pick among the tenant\'s active IdPs, and refuses a picked connection of another tenant', async () => {
    const umbrella = await env.tenant('Umbrella', 'umbrella');
    const okta = new TestSamlIdp('http://www.okta.com/exkUMBRELLA', 'https://umbrella.okta.test/sso');
    const entra = new TestSamlIdp('https://sts.windows.net/umbrella-tid/', 'https://login.microsoftonline.test/umbrella/saml2');
    await env.samlConnection(umbrella.id, okta, { name: 'Umbrella Okta' });
    const second = await env.samlConnection(umbrella.id, entra, { name: 'Umbrella Entra ID', attribute_preset: 'entra' });
    await env.samlConnection(umbrella.id, new TestSamlIdp('https://ping.test/umbrella', 'https://ping.test/sso'), { name: 'Ping (not live yet)', status: 'testing' });
    const { url } = await authorizationRequest(rp, { organization: 'umbrella' });
    const browser = new Browser();
    const picker = await browser.follow(url.toString(), () => false);
    expect(picker.res!.status).toBe(200);
    const html = await picker.res!.text();
    const links = [...html.matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].map((m) => ({ href: m[1]!.replace(/&#38;|&amp;/g, '&'), name: m[2] }));
    expect(links.map((l) => l.name).sort()).toEqual(['Umbrella Entra ID', 'Umbrella Okta']);
    const toEntra = await browser.follow(new URL(links.find((l) => l.name === 'Umbrella Entra ID')!.href, env.base).toString(), (l) => l.startsWith(entra.ssoUrl) || l.startsWith(okta.ssoUrl));
    expect(toEntra.url.startsWith(entra.ssoUrl)).toBe(true);
    // The app may name the connection itself, skipping the picker.
    const direct = await authorizationRequest(rp, { organization: 'umbrella', connection: second.id });
    const straight = await new Browser().follow(direct.url.toString(), (l) => l.startsWith(entra.ssoUrl) || l.startsWith(okta.ssoUrl));
    expect(straight.url.startsWith(entra.ssoUrl)).toBe(true);
    // A hand-made link pairing Umbrella with Globex's connection goes nowhere.
    const globexConnection = (await env.ok('GET', `/admin/v1/tenants/${globex.id}/connections`)).data[0].id;
    const forged = new URL(links[0]!.href, env.base);
    forged.searchParams.set('connection', globexConnection);
    const refused = await browser.follow(forged.toString(), (l) => l.startsWith('http://127.0.0.1:9/') || l.startsWith(globexIdp.ssoUrl));
    expect(refused.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=access_denied/);
    expect(env.audit(umbrella.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('connection_not_available');
  });

  it('does not sign anyone in through a connection that is still in testing', async () => {
    const initech = await env.tenant('Initech', 'initech');
    const idp = new TestSamlIdp('http://www.okta.com/exkINITECH', 'https://initech.okta.test/sso');
    await env.samlConnection(initech.id, idp, { status: 'testing' });
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'initech' }, alice);
    expect(flow.landed).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(initech.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('no_active_connection');
  });
});
