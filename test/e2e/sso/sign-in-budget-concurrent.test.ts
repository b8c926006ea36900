import { request as httpRequest, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo, signElement, testKey } from '../../helpers/saml-idp.ts';
import { FakeClock } from '../../../src/lib/clock.ts';

type AuthnRequest = ReturnType<typeof TestSamlIdp.readAuthnRequest>;

/** As in sign-in-budget.test.ts: refused by the verifier only after a good part of a second's work. */
function paddedResponse(idp: TestSamlIdp, req: AuthnRequest): string {
  const assertion = signElement(idp.assertionXml(answerTo(req, 'mallory@acme.test')), 'Assertion', testKey('attacker'), 'Issuer');
  const xml = idp.responseXml({ ...answerTo(req, 'mallory@acme.test'), assertionXml: assertion });
  return Buffer.from(xml.replace('<samlp:Status>', `<samlp:Extensions>${'<e/>'.repeat(4_900)}</samlp:Extensions><samlp:Status>`)).toString('base64');
}

/**
 * Every request is admitted for its 1 ms up front, and a SAML response's verification is charged
 * once it has run: an address that sends many at once must not have them all verified because
 * none had been charged yet when the others were admitted.
 */
describe('sign-in budget: expensive SAML responses sent at the same time', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp();
  let acme: { id: string };
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start({ clock: new FakeClock(new Date()), config: { trustProxy: '1', signInBudgetMsPerSecond: 100, signInBudgetBurstMs: 200 } });
    acme = await env.tenant('Acme', 'acme');
    await env.samlConnection(acme.id, idp, { saml: { metadata_xml: idp.metadataXml([idp.signer.cert, testKey('idp-next').cert]) } });
    rp = await env.rp(await env.app(acme.id));
  });
  afterAll(() => env?.close());

  it('verifies only as many as the address can pay for before the next starts; the rest are refused with 429 and leave no audit event', async () => {
    const mallory = new Browser({ 'x-forwarded-for': '203.0.113.70' });
    const requests: AuthnRequest[] = [];
    for (let i = 0; i < 6; i++) {
      const { url } = await authorizationRequest(rp, { organization: 'acme' });
      requests.push(TestSamlIdp.readAuthnRequest((await mallory.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl))).url));
    }
    const failures = env.audit(acme.id, 'sso.login.failed').length;
    const bodies = requests.map((req) => paddedResponse(idp, req));
    // Each post's headers reach the server before any post's body, as from six slow uploads.
    const posts = requests.map((req, i) => {
      const body = new URLSearchParams({ SAMLResponse: bodies[i] as string, RelayState: req.relayState }).toString();
      let sent!: ClientRequest;
      const status = new Promise<number>((resolve, reject) => {
        sent = httpRequest(req.acs, {
          method: 'POST',
          headers: { 'x-forwarded-for': '203.0.113.70', cookie: mallory.cookiesFor(req.acs), 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        sent.on('error', reject);
      });
      sent.flushHeaders();
      return { sent, body, status };
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const p of posts) p.sent.end(p.body);
    const statuses = await Promise.all(posts.map((p) => p.status));
    expect(statuses.filter((s) => s === 303), `statuses ${statuses.join(',')}`).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    expect(env.audit(acme.id, 'sso.login.failed')).toHaveLength(failures + 1);
  }, 60_000);
});
