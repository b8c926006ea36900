import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { bankWithPartner, type ScimDirectory } from '../../helpers/scim-directory.ts';

/**
 * The bank's employees' directory reserves alice@bank.test to the Okta connection. The partner's
 * IdP asserts the same address with an invisible character in it (zero-width space, a
 * right-to-left mark, a soft hyphen): not the same string, so nothing reserved matches, yet any
 * app or admin screen shows alice@bank.test, and bank.test is verified, so the ID token would say
 * email_verified: true. No address with control or format characters is taken as an email.
 */
describe('an IdP email with invisible characters', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let employees: ScimDirectory;
  let partner: { id: string };
  let alice: string;
  const oktaIdp = new TestSamlIdp();
  const partnerIdp = new TestSamlIdp('https://partner.example/saml/idp', 'https://idp.partner.test/sso', testKey('attacker'));

  beforeAll(async () => {
    env = await SsoEnv.start();
    ({ tenant, employees, partner } = await bankWithPartner(env, { okta: oktaIdp, partner: partnerIdp }, { jit: true }));
    alice = await employees.push({ userName: 'alice', externalId: '00uAlice', email: 'alice@bank.test' });
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(() => env?.close());

  const visible = (s: unknown) => String(s).replace(/[\p{Cc}\p{Cf}]/gu, '');

  for (const [what, email] of [['a zero-width space', 'alice\u200b@bank.test'], ['a right-to-left mark', 'alice\u200f@bank.test'], ['a soft hyphen', 'ali\u00adce@bank.test']] as const) {
    it(`never hands the partner an ID token whose verified email reads as a bank employee's (${what})`, async () => {
      const flow = await env.samlLogin(new Browser(), rp, partnerIdp, { organization: 'bank', connection: partner.id }, () => ({ nameId: `p-${what}`, attributes: { email } }));
      if (!/\/callback\?code=/.test(flow.landed)) return;
      const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
      const claims = tokens.claims()!;
      expect(claims.sub).not.toBe(alice);
      expect(claims.email === undefined || visible(claims.email) !== 'alice@bank.test').toBe(true);
    });
  }
});
