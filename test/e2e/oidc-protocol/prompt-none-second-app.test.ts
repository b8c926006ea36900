import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

const CALLBACK = 'http://127.0.0.1:9/callback';

/**
 * `prompt=none` (OIDC Core 3.1.2.1): `consent_required` is for a request that cannot be completed
 * without a consent page. Portcullis' apps are first-party: their consent is pre-configured, and
 * the same request without `prompt=none` is answered with a code and no page (the interaction
 * grants the app from the live sign-in). So a second app's silent sign-in gets a code too: the
 * grant lookup (src/oidc/provider/policy.ts `loadExistingGrant`) grants it from the live sign-in.
 */
describe('prompt=none from a second app of the signed-in tenant', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp();
  let first: client.Configuration;
  let second: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    const acme = await env.tenant('Acme', 'acme');
    await env.samlConnection(acme.id, idp);
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test', externalId: 'alice@acme.test' });
    first = await env.rp(await env.app(acme.id, { name: 'Acme portal' }));
    second = await env.rp(await env.app(acme.id, { name: 'Acme wiki' }));
  });
  afterAll(() => env?.close());

  it('is answered with a code from the live sign-in, as its interactive request is without a page, not consent_required', async () => {
    const browser = new Browser();
    const flow = await env.samlLogin(browser, first, idp, { organization: 'acme' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);

    const { url, state } = await authorizationRequest(second, { prompt: 'none', organization: 'acme' });
    const out = await browser.follow(url.toString(), (l) => !l.startsWith(env.base));
    const landed = new URL(out.url);
    expect([landed.origin + landed.pathname, landed.searchParams.get('state')]).toEqual([CALLBACK, state]);
    expect([landed.searchParams.get('error'), landed.searchParams.get('error_description')]).toEqual([null, null]);
    expect(landed.searchParams.get('code')).toBeTruthy();
  });

  it('(the premise) is answered, without prompt=none, with a code and no page: no IdP, no consent screen', async () => {
    const browser = new Browser();
    await env.samlLogin(browser, first, idp, { organization: 'acme' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    const { url, verifier, state } = await authorizationRequest(second, { organization: 'acme' });
    const out = await browser.follow(url.toString(), (l) => !l.startsWith(env.base));
    expect([out.res?.status, out.url]).toEqual([undefined, expect.stringMatching(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/)]);
    const tokens = await client.authorizationCodeGrant(second, new URL(out.url), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.email).toBe('alice@acme.test');
  });
});
