import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { AppSite } from '../../helpers/app-site.ts';
import { SamlIdpSite } from '../../helpers/saml-idp-site.ts';
import { CHROMIUM_MISSING_REASON, launchChromium, requireChromium } from '../../helpers/chromium.ts';

const chromiumBin = requireChromium();

/**
 * SAML sign-in in a real browser (Chromium), across three sites: the app (127.0.0.1, its own
 * port), the IdP (127.0.0.1, another port) and Portcullis (`localhost`, a different site from
 * both). What an HTTP client cannot show is tested here: the IdP's self-submitting form reaches
 * the ACS as a cross-site POST, and the cookies, redirects and pages of the flow work under the
 * browser's SameSite and navigation rules.
 */
describe.each([
  { over: 'plain HTTP', tls: false },
  { over: 'HTTPS through a TLS-terminating proxy, as in production', tls: true },
])('SAML sign-in in a real browser (Portcullis over $over)', ({ tls }) => {
  if (!chromiumBin) return void it.skip(`needs Chromium: ${CHROMIUM_MISSING_REASON}`);
  let env: SsoEnv;
  let idp: SamlIdpSite;
  let app: AppSite;
  /** An app serving every tenant (multi-tenant): its sign-ins start without knowing the organization. */
  let everyone: AppSite;
  let browser: Browser;
  let tenant: { id: string; slug: string };
  let connection: any;
  let shared: { context: BrowserContext; page: Page; visited: string[] };

  beforeAll(async () => {
    env = await SsoEnv.start({ host: 'localhost', tls });
    [idp, app, everyone, browser] = await Promise.all([SamlIdpSite.start(), AppSite.start(), AppSite.start(), launchChromium(chromiumBin)]);
    tenant = await env.tenant('Acme', 'acme');
    await env.verifiedDomain(tenant.id, 'acme.test');
    const registered = await env.app(tenant.id, { redirect_uris: [app.redirectUri], post_logout_redirect_uris: [app.postLogoutRedirectUri], initiate_login_uri: app.initiateLoginUri });
    await app.connect(`${env.base}/oidc`, registered);
    await everyone.connect(`${env.base}/oidc`, await env.app(tenant.id, { multi_tenant: true, redirect_uris: [everyone.redirectUri], post_logout_redirect_uris: [] }));
    connection = await env.samlConnection(tenant.id, idp.idp, { group_mappings: [{ idp_group: 'Finance', relation: 'member' }], saml: { allow_idp_initiated: true, idp_initiated_app_id: registered.client_id } });
    idp.tile = { acs: connection.saml.sp.acs_url, audience: connection.saml.sp.entity_id };
    env.provisionUser(tenant.id, { userName: 'alice@acme.test', email: 'alice@acme.test', externalId: 'alice@acme.test', given: 'Alice', family: 'Archer' });
    env.provisionUser(tenant.id, { userName: 'bob@acme.test', email: 'bob@acme.test', externalId: 'bob@acme.test' });
    idp.groups.set('alice@acme.test', ['Finance', 'Everyone']);
    shared = await visit();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all([app?.close(), everyone?.close(), idp?.close()]);
    await env?.close();
  });

  /** A fresh browser profile (no cookies), recording every URL it requests. */
  async function visit(): Promise<{ context: BrowserContext; page: Page; visited: string[] }> {
    // The IdP site's certificate is self-signed (fixtures/tls).
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const visited: string[] = [];
    context.on('request', (r) => visited.push(r.url()));
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    return { context, page, visited };
  }

  async function signInAtIdp(page: Page, user: string): Promise<void> {
    await page.waitForURL(`${idp.url}/sso?**`);
    await page.fill('#username', user);
    await page.click('#sign-in');
  }

  async function claimsShown(page: Page): Promise<Record<string, any>> {
    await page.waitForURL(`${app.url}/callback?**`);
    return JSON.parse((await page.textContent('#claims')) as string);
  }

  it("signs a person in from the app: Portcullis sends the browser to the IdP, whose form POSTs the signed response cross-site to the ACS, and the app gets the person's claims", async () => {
    const { page, context, visited } = shared;
    await page.goto(`${app.url}/login?login_hint=alice@acme.test`);
    await signInAtIdp(page, 'alice@acme.test');
    const claims = await claimsShown(page);
    expect(claims).toMatchObject({ email: 'alice@acme.test', org_id: tenant.id, org_slug: 'acme', connection_id: connection.id, given_name: 'Alice', family_name: 'Archer' });
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd']));
    // The ACS was reached by the browser's POST (not by a test's HTTP client).
    expect(visited).toContain(connection.saml.sp.acs_url);
    const login = env.audit(tenant.id, 'sso.login.succeeded').at(-1);
    expect(login?.metadata).toMatchObject({ connection_id: connection.id });
    // Portcullis' cookies are out of scripts' reach, not sent on cross-site subrequests, and
    // over HTTPS never sent in the clear.
    const cookies = await context.cookies(env.base);
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) expect([c.name, c.httpOnly, c.sameSite, c.secure]).toEqual([c.name, true, 'Lax', tls]);
  });

  it('a second sign-in from the same browser rides the single sign-on session: the IdP is not asked again', async () => {
    const { page, visited } = shared;
    visited.length = 0;
    await page.goto(`${app.url}/login?login_hint=alice@acme.test`);
    expect((await claimsShown(page)).email).toBe('alice@acme.test');
    expect(visited.filter((u) => u.startsWith(idp.url))).toEqual([]);
  });

  it('signs out from the app: Portcullis asks for confirmation, ends the session, and returns to the app; the next sign-in goes to the IdP again', async () => {
    const { page, visited } = shared;
    await page.goto(`${app.url}/logout`);
    await page.waitForURL(`${env.base}/oidc/**`);
    await page.click('button[value="yes"]');
    await page.waitForURL(`${app.url}/logged-out`);
    expect(await page.textContent('h1')).toBe('Signed out of the app');
    visited.length = 0;
    await page.goto(`${app.url}/login?login_hint=alice@acme.test`);
    // The IdP still has its own session (no single logout here), so it answers without its form.
    expect((await claimsShown(page)).email).toBe('alice@acme.test');
    expect(visited.filter((u) => u.startsWith(`${idp.url}/sso?`))).toHaveLength(1);
    expect(idp.forceAuthnSeen.at(-1)).toBe(false);
  });

  it('step-up: prompt=login makes Portcullis send ForceAuthn, so the IdP asks for the password although its own session is live, and auth_time is the new authentication', async () => {
    const { page } = shared;
    await page.goto(`${app.url}/login?login_hint=alice@acme.test`);
    const before = (await claimsShown(page)).auth_time as number;
    const asked = Math.floor(Date.now() / 1000);
    await page.goto(`${app.url}/login?login_hint=alice@acme.test&prompt=login`);
    await signInAtIdp(page, 'alice@acme.test');
    const after = await claimsShown(page);
    expect(idp.forceAuthnSeen.at(-1)).toBe(true);
    expect(after.auth_time).toBeGreaterThanOrEqual(asked);
    expect(after.auth_time).toBeGreaterThanOrEqual(before);
    expect(env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.metadata).toMatchObject({ forced_reauthentication: true });
  });

  it("without a hint, a multi-tenant app's sign-in asks for a work email, and the person continues to their organization's IdP", async () => {
    const { page } = await visit();
    await page.goto(`${everyone.url}/login`);
    await page.waitForURL(`${env.base}/oidc/interaction/**`);
    await page.fill('input[name="email"]', 'bob@acme.test');
    await page.click('button[type="submit"]');
    await signInAtIdp(page, 'bob@acme.test');
    await page.waitForURL(`${everyone.url}/callback?**`);
    expect(JSON.parse((await page.textContent('#claims')) as string)).toMatchObject({ email: 'bob@acme.test', org_id: tenant.id });
  });

  it("a tile in the IdP's dashboard (IdP-initiated) lands in the app's initiate_login_uri and signs the person in without the IdP's sign-in page", async () => {
    const { page, visited } = await visit();
    await page.goto(`${idp.url}/tile?user=alice@acme.test`);
    expect((await claimsShown(page)).email).toBe('alice@acme.test');
    expect(visited.some((u) => u.startsWith(app.initiateLoginUri))).toBe(true);
    expect(visited.filter((u) => u.startsWith(`${idp.url}/sso`))).toEqual([]);
  });

  it("a tile clicked while signed in leaves nothing for the next sign-in after signing out (that one goes to the IdP), and no response sets ptc_idp_login twice", async () => {
    const { page, context, visited } = await visit();
    const lines: Promise<string[]>[] = [];
    context.on('response', (r) => lines.push(r.headersArray().then((hs) => hs.filter((h) => h.name.toLowerCase() === 'set-cookie' && h.value.startsWith('ptc_idp_login=')).map((h) => h.value))));
    await page.goto(`${app.url}/login?login_hint=alice@acme.test`);
    await signInAtIdp(page, 'alice@acme.test');
    await claimsShown(page);
    // The tile click: the app's request is answered from the live sign-in, no sign-in page runs.
    await page.goto(`${idp.url}/tile?user=alice@acme.test`);
    expect((await claimsShown(page)).email).toBe('alice@acme.test');
    await page.goto(`${app.url}/logout`);
    await page.waitForURL(`${env.base}/oidc/**`);
    await page.click('button[value="yes"]');
    await page.waitForURL(`${app.url}/logged-out`);
    expect((await context.cookies(env.base)).map((c) => c.name)).not.toContain('ptc_idp_login');
    visited.length = 0;
    await page.goto(`${app.url}/login`);
    await claimsShown(page);
    // Through the IdP (whose own session answers without its form), not from the old tile click.
    expect(visited.filter((u) => u.startsWith(`${idp.url}/sso?`))).toHaveLength(1);
    const set = (await Promise.all(lines)).filter((l) => l.length > 0);
    expect(set.length).toBeGreaterThanOrEqual(2); // set at the ACS, expired at sign-out
    expect(set.every((l) => l.length === 1)).toBe(true);
  });

  it('a response Portcullis refuses ends at the app as access_denied; the person sees no detail and the audit log has the reason', async () => {
    const { page } = await visit();
    idp.alter = () => ({ audience: 'https://someone-else.example' });
    try {
      await page.goto(`${app.url}/login?organization=acme`);
      await signInAtIdp(page, 'alice@acme.test');
      await page.waitForURL(`${app.url}/callback?**`);
      expect(await page.textContent('#error')).toBe('access_denied');
    } finally {
      idp.alter = () => ({});
    }
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'saml_audience_mismatch' });
  });

  it("an admin's test login opens in a browser and shows what the IdP sent", async () => {
    const { url } = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections/${connection.id}/test-login`);
    const { page } = await visit();
    await page.goto(url);
    await signInAtIdp(page, 'alice@acme.test');
    await page.waitForURL(connection.saml.sp.acs_url);
    expect(await page.textContent('h1')).toBe('Connection test');
    const text = (await page.textContent('body')) as string;
    expect(text).toContain('The identity provider answered correctly');
    expect(text).toContain('Finance, Everyone');
  });
});
