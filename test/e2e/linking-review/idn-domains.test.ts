import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * An internationalised domain has two spellings: Unicode (`bücher.test`) and its punycode
 * A-labels (`xn--bcher-kva.test`), which is what DNS holds. IdPs, SCIM clients and people send
 * either. A claim is stored as the A-labels however it was typed, and an email's domain is
 * compared with the tenant's verified domains in that form: for linking by email, routing by
 * `login_hint`, and `email_verified`.
 */
describe('internationalised email domains (Unicode and punycode spellings)', () => {
  let env: SsoEnv;
  let buecher: { id: string };
  let strasse: { id: string };
  let other: { id: string };
  let rp: client.Configuration;
  const buecherIdp = new TestSamlIdp('http://www.okta.com/exkBUECHER', 'https://buecher.okta.test/sso');
  const strasseIdp = new TestSamlIdp('http://www.okta.com/exkSTRASSE', 'https://strasse.okta.test/sso');
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    env = await SsoEnv.start();
    buecher = await env.tenant('Bücher', 'buecher');
    strasse = await env.tenant('Straße', 'strasse');
    other = await env.tenant('Other', 'other');
    // One claimed in Unicode, the other in punycode.
    await env.verifiedDomain(buecher.id, 'Bücher.test');
    await env.verifiedDomain(strasse.id, 'xn--strae-oqa.test');
    await env.samlConnection(buecher.id, buecherIdp);
    await env.samlConnection(strasse.id, strasseIdp);
    // SCIM clients push the address as their directory holds it: here the other spelling from the claim's.
    ids.anna = env.provisionUser(buecher.id, { userName: 'anna', email: 'anna@xn--bcher-kva.test', externalId: 'scim-anna' });
    ids.sven = env.provisionUser(strasse.id, { userName: 'sven', email: 'sven@straße.test', externalId: 'scim-sven' });
    rp = await env.rp(await env.app(buecher.id, { multi_tenant: true }));
  });
  afterAll(() => env?.close());

  async function signIn(idp: TestSamlIdp, params: Record<string, string>, nameId: string, email: string) {
    const flow = await env.samlLogin(new Browser(), rp, idp, params, () => ({ nameId, attributes: { email } }));
    if (!/\/callback\?code=/.test(flow.landed)) return { landed: flow.landed };
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return { landed: flow.landed, claims: tokens.claims()! };
  }

  it('stores a domain claimed in Unicode as its A-labels, with the TXT record under that name', async () => {
    const { data } = await env.ok('GET', `/admin/v1/tenants/${buecher.id}/domains`);
    expect(data).toEqual([expect.objectContaining({ domain: 'xn--bcher-kva.test', verified: true, verification: expect.objectContaining({ name: '_portcullis-verification.xn--bcher-kva.test' }) })]);
    const cyrillic = await env.ok('POST', `/admin/v1/tenants/${other.id}/domains`, { domain: 'Пример.РФ.' });
    expect(cyrillic.domain).toBe('xn--e1afmkfd.xn--p1ai');
  });

  it('treats the two spellings as one domain when claiming: domain_exists in the tenant, domain_claimed elsewhere', async () => {
    const again = await env.api('POST', `/admin/v1/tenants/${buecher.id}/domains`, { domain: 'xn--bcher-kva.test' });
    expect([again.status, again.body.code]).toEqual([409, 'domain_exists']);
    const elsewhere = await env.ok('POST', `/admin/v1/tenants/${other.id}/domains`, { domain: 'bücher.test' });
    expect(elsewhere.domain).toBe('xn--bcher-kva.test');
    env.txt.set(elsewhere.verification.name, [[elsewhere.verification.value]]);
    const r = await env.api('POST', `/admin/v1/tenants/${other.id}/domains/${elsewhere.id}/verify`);
    expect([r.status, r.body.code]).toEqual([409, 'domain_claimed']);
  });

  it('refuses what is not a domain, also in Unicode: invalid punycode, a URL, an address', async () => {
    for (const domain of ['xn--zz.test', 'https://bücher.test', 'anna@bücher.test', 'bücher.test/x', 'bü cher.test']) {
      const r = await env.api('POST', `/admin/v1/tenants/${other.id}/domains`, { domain });
      expect([domain, r.status, r.body.code]).toEqual([domain, 400, 'invalid_domain']);
    }
  });

  it('links by email when the IdP spells the verified domain in Unicode and the tenant verified punycode (and the other way round)', async () => {
    const sven = await signIn(strasseIdp, { organization: 'strasse' }, '00uOKTAsven', 'sven@straße.test');
    expect(sven.claims).toMatchObject({ sub: ids.sven, email: 'sven@straße.test', email_verified: true });
    expect(env.audit(strasse.id, 'sso.user.linked').at(-1)?.metadata).toMatchObject({ linked_by: 'verified_email' });
    const anna = await signIn(buecherIdp, { organization: 'buecher' }, '00uOKTAanna', 'anna@xn--bcher-kva.test');
    expect(anna.claims).toMatchObject({ sub: ids.anna, email: 'anna@xn--bcher-kva.test', email_verified: true });
  });

  it("routes a login_hint in either spelling to the tenant that verified the domain", async () => {
    for (const [hint, idp, tenant, nameId] of [
      ['sven@straße.test', strasseIdp, strasse, 'scim-sven'],
      ['sven@XN--STRAE-OQA.test', strasseIdp, strasse, 'scim-sven'],
      ['anna@bücher.test', buecherIdp, buecher, 'scim-anna'],
    ] as const) {
      const r = await signIn(idp, { login_hint: hint }, nameId, hint.toLowerCase());
      expect([hint, r.claims?.org_id]).toEqual([hint, tenant.id]);
    }
  });
});
