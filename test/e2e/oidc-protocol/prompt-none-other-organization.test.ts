import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

const CALLBACK = 'http://127.0.0.1:9/callback';

/**
 * `prompt=none` (OIDC Core §3.1.2.6) when the browser's sign-in cannot answer the request because
 * it is for another organization (or another of the tenant's connections, or a tenant the app
 * does not serve): for this request the person is not authenticated, and completing it needs an
 * authentication at the other IdP, so the answer is `login_required` (as with no session at
 * all), not `interaction_required`. The app here is openid-client, reading the answer.
 */
describe('prompt=none with a sign-in of another organization or connection', () => {
  let env: SsoEnv;
  const okta = new TestSamlIdp('http://www.okta.com/exkACME', 'https://acme.okta.test/sso');
  const backup = new TestSamlIdp('https://backup.acme.test/idp', 'https://backup.acme.test/sso');
  const globexIdp = new TestSamlIdp('http://www.okta.com/exkGLOBEX', 'https://globex.okta.test/sso');
  let acme: { id: string };
  let globex: { id: string };
  let backupConnection: { id: string };
  let shared: client.Configuration;
  let globexOnly: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    globex = await env.tenant('Globex', 'globex');
    await env.verifiedDomain(globex.id, 'globex.test');
    await env.samlConnection(acme.id, okta);
    backupConnection = await env.samlConnection(acme.id, backup, { name: 'Backup IdP' });
    await env.samlConnection(globex.id, globexIdp);
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test', externalId: 'alice@acme.test' });
    shared = await env.rp(await env.app(acme.id, { multi_tenant: true }));
    globexOnly = await env.rp(await env.app(globex.id, { name: 'Globex wiki' }));
  });
  afterAll(() => env?.close());

  /** A browser signed in to Acme through Okta. */
  async function signedInToAcme(): Promise<Browser> {
    const browser = new Browser();
    const flow = await env.samlLogin(browser, shared, okta, { organization: 'acme', connection: (await acmeOkta()).id }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    return browser;
  }
  const acmeOkta = async () => (await env.ok('GET', `/admin/v1/tenants/${acme.id}/connections`)).data.find((c: { name: string }) => c.name === 'Okta');

  /** A silent request in `browser`; what openid-client, as the app, makes of the answer. */
  async function silently(browser: Browser, rp: client.Configuration, params: Record<string, string>): Promise<{ error?: string; state?: string; code?: boolean }> {
    const { url, state, verifier } = await authorizationRequest(rp, { prompt: 'none', ...params });
    const out = await browser.follow(url.toString(), (l) => !l.startsWith(env.base));
    expect(out.url.startsWith(CALLBACK)).toBe(true);
    try {
      await client.authorizationCodeGrant(rp, new URL(out.url), { pkceCodeVerifier: verifier, expectedState: state });
      return { code: true };
    } catch (err) {
      if (!(err instanceof client.AuthorizationResponseError)) throw err;
      return { error: err.error, state: new URL(out.url).searchParams.get('state') === state ? 'kept' : 'lost' };
    }
  }

  it('answers login_required for another organization, named or by a login_hint in its verified domain', async () => {
    const browser = await signedInToAcme();
    expect(await silently(browser, shared, { organization: 'globex' })).toEqual({ error: 'login_required', state: 'kept' });
    expect(await silently(browser, shared, { login_hint: 'gil@globex.test' })).toEqual({ error: 'login_required', state: 'kept' });
  });

  it("answers login_required for another of the tenant's connections, and to an app of another tenant", async () => {
    const browser = await signedInToAcme();
    expect(await silently(browser, shared, { organization: 'acme', connection: backupConnection.id })).toEqual({ error: 'login_required', state: 'kept' });
    expect(await silently(browser, globexOnly, {})).toEqual({ error: 'login_required', state: 'kept' });
  });

  it('(the premise) answers with a code when the sign-in fits, and login_required without any sign-in', async () => {
    const browser = await signedInToAcme();
    expect(await silently(browser, shared, { organization: 'acme' })).toEqual({ code: true });
    expect(await silently(new Browser(), shared, { organization: 'acme' })).toEqual({ error: 'login_required', state: 'kept' });
  });
});
