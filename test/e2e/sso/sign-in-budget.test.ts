import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo, signElement, testKey } from '../../helpers/saml-idp.ts';
import { FakeClock } from '../../../src/lib/clock.ts';
import { snapshotDatabase } from '../route-guard/snapshot.ts';
import { rateLimitedCount } from '../../helpers/request-costs.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';

type AuthnRequest = ReturnType<typeof TestSamlIdp.readAuthnRequest>;

/**
 * A SAML response padded to just under the ACS's element limit, signed with a key the connection
 * does not trust: it is refused, but only after the verifier has tried it against every trusted
 * certificate, which takes a good part of a second. Anyone can send it.
 */
function paddedResponse(idp: TestSamlIdp, req: AuthnRequest): string {
  const assertion = signElement(idp.assertionXml(answerTo(req, 'mallory@acme.test')), 'Assertion', testKey('attacker'), 'Issuer');
  const xml = idp.responseXml({ ...answerTo(req, 'mallory@acme.test'), assertionXml: assertion });
  return Buffer.from(xml.replace('<samlp:Status>', `<samlp:Extensions>${'<e/>'.repeat(4_900)}</samlp:Extensions><samlp:Status>`)).toString('base64');
}

/**
 * The sign-in surfaces (`/sso/*`, `/oidc/*`) charge each request (and an ACS post's verification time) to its client
 * address. Here with the real meter and a small budget (100 ms a second, 200 ms at once): one
 * padded SAML response costs more than the whole budget.
 */
describe('sign-in budget: an address that sends expensive SAML responses', () => {
  let env: SsoEnv;
  const clock = new FakeClock(new Date());
  const idp = new TestSamlIdp();
  let acme: { id: string };
  let connection: { id: string };
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start({ clock, config: { trustProxy: '1', signInBudgetMsPerSecond: 100, signInBudgetBurstMs: 200 } });
    acme = await env.tenant('Acme', 'acme');
    // Two trusted certificates (a rotation in progress): the verifier tries the response against both.
    connection = await env.samlConnection(acme.id, idp, { saml: { metadata_xml: idp.metadataXml([idp.signer.cert, testKey('idp-next').cert]) } });
    rp = await env.rp(await env.app(acme.id));
    env.provisionUser(acme.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
  });
  afterAll(() => env?.close());

  async function begin(browser: Browser): Promise<AuthnRequest> {
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    return TestSamlIdp.readAuthnRequest((await browser.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl))).url);
  }
  const post = (browser: Browser, req: AuthnRequest, samlResponse: string) => browser.request(req.acs, { form: { SAMLResponse: samlResponse, RelayState: req.relayState } });
  const metadata = (browser: Browser) => browser.request(`${env.base}/sso/saml/${connection.id}/metadata`);

  it('refuses it with 429, Retry-After and a page once a padded response has spent its budget, writing nothing, until it has earned the time back', async () => {
    const mallory = new Browser({ 'x-forwarded-for': '203.0.113.7' });
    const req = await begin(mallory);
    const failures = env.audit(acme.id, 'sso.login.failed').length;
    const admitted = await post(mallory, req, paddedResponse(idp, req));
    expect(admitted.status, 'the first one is within budget, and refused by the verifier').toBe(303);
    expect(env.audit(acme.id, 'sso.login.failed')).toHaveLength(failures + 1);
    expect(env.audit(acme.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'saml_signature_invalid' });

    const refused = await metadata(mallory);
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers.get('retry-after'));
    // Owing at most one burst (200 ms) at 100 ms a second: at most 3 s.
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(3);
    expect(refused.headers.get('content-type')).toMatch(/^text\/html/);
    expect(refused.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(await refused.text()).toMatch(/Too many sign-in requests came from your network\. Try again in \d seconds?\./);

    const before = snapshotDatabase(env.services);
    const again = await post(mallory, req, paddedResponse(idp, req));
    const start = await mallory.request((await authorizationRequest(rp, { organization: 'acme' })).url.toString());
    expect([again.status, start.status]).toEqual([429, 429]);
    expect(snapshotDatabase(env.services), 'no audit event, no interaction, no state').toEqual(before);
    expect(await rateLimitedCount(env.direct, 'portcullis-sso')).toBe(3);

    clock.advance((wait - 1) * 1000);
    expect((await metadata(mallory)).status).toBe(429);
    clock.advance(1000);
    expect((await metadata(mallory)).status).toBe(200);
  });

  it('lets another address sign in meanwhile', async () => {
    const mallory = new Browser({ 'x-forwarded-for': '203.0.113.8' });
    const req = await begin(mallory);
    await post(mallory, req, paddedResponse(idp, req));
    expect((await metadata(mallory)).status).toBe(429);

    const ada = new Browser({ 'x-forwarded-for': '198.51.100.20' });
    const flow = await env.samlLogin(ada, rp, idp, { organization: 'acme' }, () => ({ nameId: 'ada@acme.test', attributes: { email: 'ada@acme.test' } }));
    expect(flow.landed).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    expect(tokens.claims()?.email).toBe('ada@acme.test');
    expect((await metadata(mallory)).status).toBe(429);
  });
});

describe('sign-in budget: ordinary sign-ins', () => {
  it('never refuses many sign-ins in a row from one address at the defaults, nor the app exchanging their codes', async () => {
    const env = await SsoEnv.start();
    try {
      const idp = new TestSamlIdp();
      const acme = await env.tenant('Acme', 'acme');
      await env.samlConnection(acme.id, idp);
      const rp = await env.rp(await env.app(acme.id));
      env.provisionUser(acme.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
      for (let i = 0; i < 50; i++) {
        const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: 'ada@acme.test', attributes: { email: 'ada@acme.test' } }));
        expect(flow.landed, `sign-in ${i + 1}`).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
        const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
        await client.refreshTokenGrant(rp, tokens.refresh_token as string);
      }
      expect([await rateLimitedCount(env.direct, 'portcullis-sso'), await rateLimitedCount(env.direct, 'portcullis-oidc')]).toEqual([0, 0]);
    } finally {
      await env.close();
    }
  }, 120_000);

  it('charges nothing for the time an upstream OIDC IdP takes to answer', async () => {
    const upstream = await startUpstreamIdp(() => ({ sub: '00uAda', email: 'ada@globex.test' }));
    // The IdP's token endpoint takes 600 ms; three sign-ins would owe 1.8 s if waiting were charged.
    const upstreamFetch: client.CustomFetch = async (url, options) => {
      if (new URL(url).pathname.endsWith('/token')) await sleep(600);
      return fetch(url, options as RequestInit);
    };
    const env = await SsoEnv.start({ clock: new FakeClock(new Date()), sso: { upstreamFetch }, config: { signInBudgetMsPerSecond: 1, signInBudgetBurstMs: 500 } });
    try {
      const globex = await env.tenant('Globex', 'globex');
      await env.ok('PUT', `/admin/v1/tenants/${globex.id}/sso-settings`, { jit_provisioning: true });
      await env.ok('POST', `/admin/v1/tenants/${globex.id}/connections`, {
        name: 'Okta OIDC',
        protocol: 'oidc',
        status: 'active',
        oidc: { issuer: upstream.issuer.url, client_id: 'portcullis', client_secret: 'upstream-secret', scopes: 'openid email' },
      });
      const rp = await env.rp(await env.app(globex.id));
      for (let i = 0; i < 3; i++) {
        const { url } = await authorizationRequest(rp, { organization: 'globex' });
        const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
        expect(done.url, `sign-in ${i + 1}`).toMatch(/\/callback\?code=/);
      }
      expect(await rateLimitedCount(env.direct, 'portcullis-sso')).toBe(0);
    } finally {
      await env.close();
      await upstream.stop();
    }
  }, 60_000);
});
