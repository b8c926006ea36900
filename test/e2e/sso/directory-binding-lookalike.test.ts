import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { bankWithPartner, scimDirectory, type ScimDirectory } from '../../helpers/scim-directory.ts';

/**
 * A partner's unbound connection (JIT on, the bank's domain verified) signs in as
 * alice@bank.test before Okta pushes her, and Okta's SCIM client pushes her under another
 * userName (Entra/Okta logins often differ from the mail address): the push is no adoption, and
 * the partner's just-in-time user lives on beside her, with her email. An email a bound
 * directory's user holds is reserved to that directory: no unbound connection signs in a user
 * carrying it.
 */
describe("a partner's just-in-time user that SCIM does not adopt", () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let employees: ScimDirectory;
  let okta: { id: string };
  let partner: { id: string };
  const oktaIdp = new TestSamlIdp();
  const partnerIdp = new TestSamlIdp('https://partner.example/saml/idp', 'https://idp.partner.test/sso', testKey('attacker'));

  beforeAll(async () => {
    env = await SsoEnv.start();
    ({ tenant, employees, okta, partner } = await bankWithPartner(env, { okta: oktaIdp, partner: partnerIdp }, { jit: true }));
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(() => env?.close());

  async function signIn(conn: { id: string }, idp: TestSamlIdp, nameId: string, email: string) {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'bank', connection: conn.id }, () => ({ nameId, attributes: { email } }));
    if (!/\/callback\?code=/.test(flow.landed)) return { failure: env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata };
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    const claims = tokens.claims()!;
    return { sub: claims.sub, email: claims.email, email_verified: claims.email_verified };
  }

  // A look-alike made before the push carries Alice's email, which her (bound) directory reserves.
  it("no longer signs the partner in as a look-alike bearing a bound directory user's verified email", async () => {
    const lookalike = (await signIn(partner, partnerIdp, 'p-alice', 'alice@bank.test')).sub;
    const alice = await employees.push({ userName: 'alice', externalId: '00uAlice', email: 'alice@bank.test' });
    expect(alice).not.toBe(lookalike);
    expect(await signIn(okta, oktaIdp, '00uAlice', 'alice@bank.test')).toMatchObject({ sub: alice });
    const again = await signIn(partner, partnerIdp, 'p-alice', 'alice@bank.test');
    expect(again.failure).toMatchObject({ reason: 'user_directory_mismatch', user_id: alice });
  });

  // Another route: the partner's own SCIM directory (no connection bound to it) pushes an
  // employee's external id and email; signing in as that user would hand apps an ID token with
  // the employee's email, email_verified true.
  it("does not hand the partner an ID token with a bound directory user's verified email through the partner's own SCIM directory", async () => {
    const bob = await employees.push({ userName: 'bob@bank.test', externalId: '00uBob', email: 'bob@bank.test' });
    const contractors = await scimDirectory(env, tenant.id, 'Partner contractors');
    const fake = await contractors.push({ userName: 'bob.contractor', externalId: '00uBob', email: 'bob@bank.test' });
    const r = await signIn(partner, partnerIdp, '00uBob', 'bob@partner.test');
    // The partner's directory user carries Bob's email, which Bob's (bound) directory reserves: refused.
    expect(r.sub).toBeUndefined();
    expect(r.failure).toMatchObject({ reason: 'user_directory_mismatch', user_id: bob });
    expect(fake).not.toBe(bob);
  });
});
