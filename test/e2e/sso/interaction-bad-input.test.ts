import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { GENERIC_LOGIN_FAILURE } from '../../../src/sso/login/failures.ts';

/**
 * The sign-in interaction's routes (`/oidc/interaction/{uid}` and its start, discover, complete
 * and failed steps) facing forged uids and cookies, edited links, foreign or stale states and
 * oversized forms: each ends in the expired-link page or the generic failure, and nothing is
 * granted or signed in.
 */
describe('the sign-in interaction refuses forged, foreign and stale steps', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp();
  const globexIdp = new TestSamlIdp('http://www.okta.com/exkGLOBEX', 'https://globex.okta.test/sso');
  let globexConnection: { id: string };
  let acme: { id: string };
  let globex: { id: string };
  let acmeApp: { client_id: string; client_secret: string };
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    globex = await env.tenant('Globex', 'globex');
    await env.samlConnection(acme.id, idp);
    globexConnection = await env.samlConnection(globex.id, globexIdp);
    acmeApp = await env.app(acme.id);
    rp = await env.rp(acmeApp);
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test', externalId: 'alice@acme.test' });
  });
  afterAll(() => env?.close());

  const sessions = () => env.sessionCount();

  it('answers a forged interaction uid, on every route, with 400 and the expired-link page', async () => {
    const before = { sessions: sessions(), events: env.audit(acme.id).length };
    const browser = new Browser();
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    await browser.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl)); // mid-sign-in: its interaction cookie is scoped to the real uid
    for (const b of [new Browser(), browser]) {
      for (const [method, path] of [['GET', ''], ['GET', '/start?organization=acme'], ['GET', '/complete?state=x'], ['GET', '/failed'], ['POST', '/discover']]) {
        const res = await b.request(`${env.base}/oidc/interaction/forged-uid${path}`, method === 'POST' ? { form: { organization: 'acme' } } : {});
        expect([path, res.status]).toEqual([path, 400]);
        expect(await res.text()).toMatch(/sign-in link has expired/);
      }
    }
    expect(sessions()).toBe(before.sessions);
    expect(env.audit(acme.id).length).toBe(before.events);
  });

  it('answers an interaction cookie presented under another uid with the expired-link page', async () => {
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    const auth = await fetch(url, { redirect: 'manual' });
    const uid = /\/oidc\/interaction\/([^/?]+)/.exec(auth.headers.get('location') ?? '')?.[1];
    expect(uid).toBeTruthy();
    const cookie = auth.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const elsewhere = await fetch(`${env.base}/oidc/interaction/not-${uid}/start?organization=acme`, { headers: { cookie }, redirect: 'manual' });
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toMatch(/sign-in link has expired/);
    const own = await fetch(`${env.base}/oidc/interaction/${uid}`, { headers: { cookie }, redirect: 'manual' });
    expect([own.status, own.headers.get('location')?.startsWith(idp.ssoUrl)]).toEqual([303, true]);
  });

  it("will not start a sign-in through another tenant's connection from the start route (access_denied, audited to the app's tenant)", async () => {
    const multi = await env.app(acme.id, { name: 'all tenants', multi_tenant: true });
    const before = sessions();
    for (const [app, query, reason] of [
      // The organization the app asked for (acme) is binding: an edited link cannot change it.
      [acmeApp, `organization=globex&connection=${globexConnection.id}`, 'connection_not_available'],
      [multi, `organization=acme&connection=${globexConnection.id}`, 'connection_not_available'],
      [multi, `organization=globex&connection=${globexConnection.id}`, 'connection_not_available'],
    ] as const) {
      const browser = new Browser();
      const { url } = await authorizationRequest(app === acmeApp ? rp : await env.rp(app), { organization: 'acme' });
      const interaction = new URL((await browser.follow(url.toString(), (l) => l.includes('/oidc/interaction/'))).url);
      const end = await browser.follow(`${interaction.origin}${interaction.pathname}/start?${query}`, (l) => l.startsWith(globexIdp.ssoUrl) || l.startsWith('http://127.0.0.1:9/'));
      expect(end.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=access_denied/);
      expect(env.audit(acme.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe(reason);
    }
    expect(env.audit(globex.id, 'sso.login.failed')).toHaveLength(0);
    expect(sessions()).toBe(before);
  });

  /** A sign-in whose IdP leg succeeded: the browser is about to open the interaction's complete URL. */
  async function atComplete(browser: Browser): Promise<URL> {
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    const req = TestSamlIdp.readAuthnRequest((await browser.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl))).url);
    const response = idp.response({ recipient: req.acs, audience: req.issuer, inResponseTo: req.id, nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } });
    const back = await browser.follow(req.acs, (l) => l.includes('/complete?'), { form: { SAMLResponse: response, RelayState: req.relayState } });
    return new URL(back.url);
  }
  const withState = (u: URL, state: string) => `${u.origin}${u.pathname}?state=${encodeURIComponent(state)}`;
  const grants = () => (env.services.storage.sql.raw.prepare("SELECT count(*) AS n FROM oidc_models WHERE model = 'Grant'").get() as { n: number }).n;

  it('completes an interaction only with its own live state: a forged, foreign, expired or replayed one fails generically and grants nothing', async () => {
    const [one, two] = [new Browser(), new Browser()];
    const [u1, u2] = [await atComplete(one), await atComplete(two)];
    const before = grants();
    const refused = async (b: Browser, url: string) => {
      const res = await b.request(url);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(new RegExp(GENERIC_LOGIN_FAILURE.slice(0, 20)));
    };
    await refused(one, withState(u1, 'forged'));
    await refused(one, withState(u1, ''));
    await refused(two, withState(u2, u1.searchParams.get('state') as string)); // the state of another browser's interaction
    // The state expires (10 minutes): age this one past its expiry.
    env.services.storage.sql.raw.prepare('UPDATE sso_login_states SET expires_at = ? WHERE id = ?').run(new Date(Date.now() - 1000).toISOString(), u2.searchParams.get('state'));
    await refused(two, u2.toString());
    expect(grants()).toBe(before);
    // The genuine one still completes, once.
    const done = await one.follow(u1.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    expect(done.url).toMatch(/\/callback\?code=/);
    expect(grants()).toBe(before + 1);
    const again = await one.request(u1.toString());
    expect(again.status).toBe(400);
    expect(grants()).toBe(before + 1);
  });

  it('caps the discover form at 16 KiB (413 payload_too_large)', async () => {
    const res = await fetch(`${env.base}/oidc/interaction/any/discover`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `email=${'a'.repeat(17 * 1024)}`,
    });
    expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([413, 'payload_too_large']);
  });
});
