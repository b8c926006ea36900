import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { bankWithPartner, scimDirectory, type ScimDirectory } from '../../helpers/scim-directory.ts';

/**
 * An email's domain meets the verified domains in its canonical form (domainToASCII, UTS #46).
 * UTS #46 maps more than the two IDNA spellings of a domain onto it: full-width letters
 * (`ｂａｎｋ.test`), an ideographic full stop (`bank。test`), compatibility characters. Such an
 * address is not the verified domain's address as text (nothing reserved matches it, no user is
 * found by it), yet apps that normalise addresses read it as one: it is not vouched for. The two
 * IDNA spellings of an internationalised domain (A-labels, U-labels) are one domain, and an
 * address in one finds the user stored with the other: never a second user for the same mailbox.
 */
describe('look-alike and internationalised spellings of an email domain', () => {
  let env: SsoEnv;
  const oktaIdp = new TestSamlIdp();
  const partnerIdp = new TestSamlIdp('https://partner.example/saml/idp', 'https://idp.partner.test/sso', testKey('attacker'));
  const buecherOkta = new TestSamlIdp('http://www.okta.com/exkBUECHER', 'https://buecher.okta.test/sso');
  const buecherPartner = new TestSamlIdp('https://partner.buecher.example/idp', 'https://idp.partner-buecher.test/sso', testKey('attacker'));

  beforeAll(async () => {
    env = await SsoEnv.start();
  });
  afterAll(() => env?.close());

  async function signIn(rp: client.Configuration, idp: TestSamlIdp, params: Record<string, string>, nameId: string, email: string) {
    const flow = await env.samlLogin(new Browser(), rp, idp, params, () => ({ nameId, attributes: { email } }));
    if (!/\/callback\?code=/.test(flow.landed)) return { landed: flow.landed };
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return { landed: flow.landed, claims: tokens.claims()! };
  }

  describe("a bank whose employees' directory reserves their emails, and an unbound partner connection", () => {
    let tenant: { id: string };
    let rp: client.Configuration;
    let employees: ScimDirectory;
    let partner: { id: string };
    let alice: string;

    beforeAll(async () => {
      ({ tenant, employees, partner } = await bankWithPartner(env, { okta: oktaIdp, partner: partnerIdp }, { jit: true }));
      alice = await employees.push({ userName: 'alice', externalId: '00uAlice', email: 'alice@bank.test' });
      rp = await env.rp(await env.app(tenant.id));
    });

    for (const [what, email] of [
      ['full-width letters', 'alice@ｂａｎｋ.test'],
      ['an ideographic full stop', 'alice@bank。test'],
      ['a full-width full stop', 'alice@bank．test'],
    ] as const) {
      it(`never hands the partner an ID token with a verified email that UTS #46 maps to a bank employee's (${what})`, async () => {
        const created = env.audit(tenant.id, 'directory.user.created').length;
        const r = await signIn(rp, partnerIdp, { organization: 'bank', connection: partner.id }, `p-${what}`, email);
        if (r.claims) {
          expect(r.claims.sub).not.toBe(alice);
          expect([r.claims.email, r.claims.email_verified]).not.toEqual([expect.anything(), true]);
        } else {
          expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'user_directory_mismatch', user_id: alice });
          expect(env.audit(tenant.id, 'directory.user.created')).toHaveLength(created);
        }
      });
    }

    it('refuses the partner a user made just in time with an address that is a reserved one under UTS #46', async () => {
      const created = env.audit(tenant.id, 'directory.user.created').length;
      const r = await signIn(rp, partnerIdp, { organization: 'bank', connection: partner.id }, 'p-fullwidth-2', 'alice@ｂａｎｋ.test');
      expect(r.claims).toBeUndefined();
      expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'user_directory_mismatch', user_id: alice });
      expect(env.audit(tenant.id, 'directory.user.created')).toHaveLength(created);
    });

    it('does not vouch for a SCIM-pushed address whose domain is a look-alike spelling of the verified one', async () => {
      const bob = await employees.push({ userName: 'bob', externalId: '00uBob', email: 'bob@ｂａｎｋ.test' });
      const okta = (await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections`)).data.find((c: { name: string }) => c.name === 'Okta (employees)');
      const r = await signIn(rp, oktaIdp, { organization: 'bank', connection: okta.id }, '00uBob', 'bob@ｂａｎｋ.test');
      expect(r.claims).toMatchObject({ sub: bob, email_verified: false });
    });
  });

  describe('an internationalised domain whose users SCIM stored in the other spelling', () => {
    let tenant: { id: string };
    let rp: client.Configuration;
    let anna: string;
    let ben: string;
    let partner: { id: string };
    let okta: { id: string };
    let employees: ScimDirectory;

    beforeAll(async () => {
      tenant = await env.tenant('Bücher', 'buecher');
      await env.verifiedDomain(tenant.id, 'bücher.test');
      await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
      employees = await scimDirectory(env, tenant.id, 'Okta employees');
      okta = await env.samlConnection(tenant.id, buecherOkta, { name: 'Okta (employees)', directory_id: employees.id });
      partner = await env.samlConnection(tenant.id, buecherPartner, { name: 'Partner', attribute_preset: 'generic' });
      anna = await employees.push({ userName: 'anna', externalId: 'scim-anna', email: 'anna@xn--bcher-kva.test' });
      ben = env.provisionUser(tenant.id, { userName: 'ben', externalId: 'scim-ben', email: 'ben@bücher.test' });
      rp = await env.rp(await env.app(tenant.id));
    });

    it('links a sign-in with the address in U-labels to the user stored with A-labels (and the other way round), making no second user', async () => {
      const created = env.audit(tenant.id, 'directory.user.created').length;
      const a = await signIn(rp, buecherOkta, { organization: 'buecher', connection: okta.id }, '00uOKTAanna', 'anna@bücher.test');
      expect(a.claims).toMatchObject({ sub: anna, email_verified: true });
      const b = await signIn(rp, buecherPartner, { organization: 'buecher', connection: partner.id }, 'p-ben', 'ben@xn--bcher-kva.test');
      expect(b.claims).toMatchObject({ sub: ben, email_verified: true });
      expect(env.audit(tenant.id, 'directory.user.created')).toHaveLength(created);
    });

    it("refuses the unbound partner a user made just in time with a bound directory's address in the other spelling", async () => {
      const cleo = await employees.push({ userName: 'cleo', externalId: 'scim-cleo', email: 'cleo@xn--bcher-kva.test' });
      const created = env.audit(tenant.id, 'directory.user.created').length;
      const r = await signIn(rp, buecherPartner, { organization: 'buecher', connection: partner.id }, 'p-cleo', 'cleo@bücher.test');
      expect(r.claims).toBeUndefined();
      expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'user_directory_mismatch', user_id: cleo });
      expect(env.audit(tenant.id, 'directory.user.created')).toHaveLength(created);
    });
  });
});
