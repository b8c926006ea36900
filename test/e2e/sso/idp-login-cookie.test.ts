import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

interface Hop {
  url: string;
  status: number;
  location: string;
  cookies: string[];
}

/** Follows redirects like `Browser.follow`, keeping every hop's status, Location and Set-Cookie lines. */
async function walk(browser: Browser, url: string, stop: (location: string) => boolean, init: { form?: Record<string, string> } = {}): Promise<Hop[]> {
  const hops: Hop[] = [];
  let current = url;
  let res = await browser.request(current, init);
  for (let i = 0; i < 20; i++) {
    const location = res.headers.get('location') ?? '';
    hops.push({ url: current, status: res.status, location, cookies: res.headers.getSetCookie() });
    await res.body?.cancel();
    if (res.status < 300 || res.status >= 400 || !location) return hops;
    current = new URL(location, current).toString();
    if (stop(current)) return [...hops, { url: current, status: 0, location: '', cookies: [] }];
    res = await browser.request(current);
  }
  throw new Error('too many redirects');
}

const idpLoginCookies = (hops: Hop[]) => hops.flatMap((h) => h.cookies.filter((c) => c.startsWith('ptc_idp_login=')).map((c) => ({ url: new URL(h.url).pathname, cookie: c })));
const expires = (cookie: string) => /^ptc_idp_login=;/.test(cookie) && /;\s*Max-Age=0\b/i.test(cookie) && /;\s*Path=\/oidc\/interaction\b/.test(cookie);

/**
 * The `ptc_idp_login` cookie carries a tile click (IdP-initiated SAML) from the ACS to the app's
 * authorization request. It is single-use: the interaction that reads it expires it in the
 * response that ends it, whether the provider writes that response (the sign-in finished with
 * the tile click's session, or refused) or Portcullis does (the request goes to the IdP).
 */
describe('the IdP-initiated login cookie', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let acs: string;
  let audience: string;
  const idp = new TestSamlIdp();
  const toApp = (l: string) => l.startsWith('http://127.0.0.1:9/');

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

  /** A tile click: the ACS sets the cookie and sends the browser to the app's initiate_login_uri. */
  async function tileClick(browser: Browser): Promise<void> {
    const raw = idp.response({ recipient: acs, audience, inResponseTo: null, nameId: 'ida@acme.test', attributes: { email: 'ida@acme.test' } });
    const hops = await walk(browser, acs, toApp, { form: { SAMLResponse: raw } });
    expect(idpLoginCookies(hops)).toEqual([{ url: '/sso/saml/' + acs.split('/sso/saml/')[1], cookie: expect.stringMatching(/^ptc_idp_login=[^;]+; Path=\/oidc\/interaction; HttpOnly; SameSite=Lax; Max-Age=600$/) }]);
  }

  it('is expired by the response that finishes the sign-in with the tile click\'s session (written by the provider)', async () => {
    const browser = new Browser();
    await tileClick(browser);
    const { url, verifier, state } = await authorizationRequest(rp, { scope: 'openid email', login_hint: 'ida@acme.test' });
    const hops = await walk(browser, url.toString(), (l) => toApp(l) || l.startsWith(idp.ssoUrl));
    const done = hops.at(-1)?.url ?? '';
    expect(done).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const set = idpLoginCookies(hops);
    expect(set).toHaveLength(1);
    expect(set[0]?.url).toMatch(/^\/oidc\/interaction\/[^/]+$/);
    expect(expires(set[0]?.cookie ?? '')).toBe(true);
    const tokens = await client.authorizationCodeGrant(rp, new URL(done), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()).toMatchObject({ email: 'ida@acme.test', org_id: tenant.id });
    expect(browser.cookiesFor(`${env.base}/oidc/interaction/x`)).not.toContain('ptc_idp_login=');
  });

  it('is expired when the request does not fit the tile click and goes to the IdP (prompt=login)', async () => {
    const browser = new Browser();
    await tileClick(browser);
    const { url } = await authorizationRequest(rp, { prompt: 'login', organization: 'acme' });
    const hops = await walk(browser, url.toString(), (l) => toApp(l) || l.startsWith(idp.ssoUrl));
    expect(hops.at(-1)?.url.startsWith(idp.ssoUrl)).toBe(true);
    const set = idpLoginCookies(hops);
    expect(set.map((s) => expires(s.cookie))).toEqual([true]);
    expect(browser.cookiesFor(`${env.base}/oidc/interaction/x`)).not.toContain('ptc_idp_login=');
  });

  it('is expired when the sign-in ends in a refusal written by the provider (an unknown organization)', async () => {
    const browser = new Browser();
    await tileClick(browser);
    const { url } = await authorizationRequest(rp, { organization: 'no-such-org' });
    const hops = await walk(browser, url.toString(), (l) => toApp(l) || l.startsWith(idp.ssoUrl));
    expect(hops.at(-1)?.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=access_denied/);
    const set = idpLoginCookies(hops);
    expect(set.map((s) => expires(s.cookie))).toEqual([true]);
  });
});
