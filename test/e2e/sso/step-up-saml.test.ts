import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * Step-up through a SAML IdP: an app asking for a fresh authentication (`prompt=login`, or a
 * `max_age` its session exceeds) gets one from the IdP (`ForceAuthn="true"`), and the ID
 * token's `auth_time` is when the person authenticated there (`AuthnInstant`).
 */
describe('step-up (re-authentication) through a SAML IdP', () => {
  let env: SsoEnv;
  let idp: TestSamlIdp;
  let tenant: { id: string };
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme Bank', 'acmebank');
    idp = new TestSamlIdp();
    await env.samlConnection(tenant.id, idp);
    rp = await env.rp(await env.app(tenant.id));
    env.provisionUser(tenant.id, { userName: 'payer@acmebank.test', email: 'payer@acmebank.test', externalId: 'payer@acmebank.test' });
  });
  afterAll(() => env?.close());

  const secondsAgo = (s: number) => new Date(Math.floor(Date.now() / 1000) * 1000 - s * 1000);
  const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

  /** One authorization request in `browser`; the IdP answers for the payer, authenticated at `authnInstant`. */
  async function signIn(browser: Browser, params: Record<string, string>, authnInstant: Date) {
    let request: ReturnType<typeof TestSamlIdp.readAuthnRequest> | undefined;
    const flow = await env.samlLogin(browser, rp, idp, { organization: 'acmebank', ...params }, (req) => {
      request = req;
      return { nameId: 'payer@acmebank.test', attributes: { email: 'payer@acmebank.test' }, authnInstant };
    });
    const landed = new URL(flow.landed);
    const tokens = landed.searchParams.has('code')
      ? await client.authorizationCodeGrant(rp, landed, { pkceCodeVerifier: flow.verifier, expectedState: flow.state })
      : undefined;
    return { request, landed, claims: tokens?.claims() };
  }

  const lastSuccess = () => env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.metadata as Record<string, unknown>;

  it("does not ask the IdP to re-authenticate at an ordinary sign-in, and auth_time is the IdP's AuthnInstant", async () => {
    const authenticated = secondsAgo(20 * 60);
    const first = await signIn(new Browser(), {}, authenticated);
    expect(first.request?.forceAuthn).toBe(false);
    expect(first.claims?.auth_time).toBe(epoch(authenticated));
    expect(lastSuccess()).not.toHaveProperty('forced_reauthentication');
  });

  it('sends ForceAuthn="true" for prompt=login, and the ID token reports the new authentication (audited as forced)', async () => {
    const browser = new Browser();
    await signIn(browser, {}, secondsAgo(20 * 60));
    const fresh = secondsAgo(0);
    const stepUp = await signIn(browser, { prompt: 'login' }, fresh);
    expect(stepUp.request?.forceAuthn).toBe(true);
    expect(stepUp.claims?.auth_time).toBe(epoch(fresh));
    expect(lastSuccess()).toMatchObject({ forced_reauthentication: true, idp_authenticated_at: fresh.toISOString() });
  });

  it('sends ForceAuthn="true" whenever a max_age request reaches the IdP (a first sign-in too: SAML has no max_age, and an older AuthnInstant would break it), and not while the session is within max_age', async () => {
    const browser = new Browser();
    // An IdP answering a first max_age sign-in from its 20-minute-old session is refused, not passed on as auth_time 20 minutes ago.
    const stale = await signIn(browser, { max_age: '300' }, secondsAgo(20 * 60));
    expect(stale.request?.forceAuthn).toBe(true);
    expect(stale.claims).toBeUndefined();
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('idp_reauthentication_not_performed');
    const first = await signIn(browser, { max_age: '300' }, secondsAgo(0));
    expect(first.request?.forceAuthn).toBe(true);
    expect(first.claims?.auth_time).toBeGreaterThan(Date.now() / 1000 - 60);
    // Another browser, signed in without max_age from an IdP session 20 minutes old.
    const other = new Browser();
    expect((await signIn(other, {}, secondsAgo(20 * 60))).request?.forceAuthn).toBe(false);
    const fresh = secondsAgo(0);
    const stepUp = await signIn(other, { max_age: '300' }, fresh);
    expect(stepUp.request?.forceAuthn).toBe(true);
    expect(stepUp.claims?.auth_time).toBe(epoch(fresh));
    // Now within max_age: the session serves the app without the IdP.
    const again = await signIn(other, { max_age: '300' }, fresh);
    expect(again.request).toBeUndefined();
    expect(again.claims?.auth_time).toBe(epoch(fresh));
  });

  it('refuses, without looping, an IdP that ignores ForceAuthn and answers from its earlier session (generic to the app, precise in the audit log)', async () => {
    const browser = new Browser();
    const old = secondsAgo(20 * 60);
    await signIn(browser, {}, old);
    const sessions = env.sessionCount();
    const refused = await signIn(browser, { prompt: 'login' }, old);
    expect(refused.request?.forceAuthn).toBe(true);
    expect(refused.landed.origin + refused.landed.pathname).toBe('http://127.0.0.1:9/callback');
    expect(refused.landed.searchParams.get('error')).toBe('access_denied');
    expect(refused.landed.searchParams.get('error_description')).toBe('Sign-in failed.');
    expect(env.sessionCount()).toBe(sessions);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({
      reason: 'idp_reauthentication_not_performed',
      detail: expect.stringContaining(`ForceAuthn`),
    });
  });

  it("accepts an AuthnInstant just before the request, within the connection's clock skew", async () => {
    const browser = new Browser();
    await signIn(browser, {}, secondsAgo(20 * 60));
    const justBefore = secondsAgo(30);
    const stepUp = await signIn(browser, { prompt: 'login' }, justBefore);
    expect(stepUp.claims?.auth_time).toBe(epoch(justBefore));
    expect(lastSuccess()).toMatchObject({ forced_reauthentication: true });
  });

  it('compares in whole seconds, as IdPs state AuthnInstant: with no clock skew allowed, the same second is fresh and earlier ones are not', async () => {
    const [connection] = (await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections`)).data as { id: string }[];
    await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${connection?.id}`, { saml: { clock_skew_seconds: 0 } });
    const browser = new Browser();
    await signIn(browser, {}, secondsAgo(20 * 60));
    const sameSecond = await signIn(browser, { prompt: 'login' }, secondsAgo(0));
    expect(sameSecond.claims?.auth_time).toBeTypeOf('number');
    const refused = await signIn(browser, { prompt: 'login' }, secondsAgo(5));
    expect(refused.landed.searchParams.get('error')).toBe('access_denied');
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('idp_reauthentication_not_performed');
  });
});
