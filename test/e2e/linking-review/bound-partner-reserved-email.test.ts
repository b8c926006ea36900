import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { bankWithPartner, scimDirectory, type ScimDirectory } from '../../helpers/scim-directory.ts';

/**
 * The docs advise binding each connection to the directory whose users it signs in. A partner
 * whose connection is bound to the partner's own directory must not get, just in time, a
 * look-alike carrying an email the bank's (bound) employees' directory reserves: an unbound
 * partner connection is refused that (user_directory_mismatch), and binding the partner's
 * connection must not reopen it.
 */
describe("a partner's connection bound to the partner's own directory", () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let employees: ScimDirectory;
  let contractors: ScimDirectory;
  let okta: { id: string };
  let partner: { id: string };
  let alice: string;
  const oktaIdp = new TestSamlIdp();
  const partnerIdp = new TestSamlIdp('https://partner.example/saml/idp', 'https://idp.partner.test/sso', testKey('attacker'));

  beforeAll(async () => {
    env = await SsoEnv.start();
    ({ tenant, employees, okta, partner } = await bankWithPartner(env, { okta: oktaIdp, partner: partnerIdp }, { jit: true }));
    contractors = await scimDirectory(env, tenant.id, 'Partner contractors');
    await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${partner.id}`, { directory_id: contractors.id });
    alice = await employees.push({ userName: 'alice', externalId: '00uAlice', email: 'alice@bank.test' });
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(() => env?.close());

  async function signIn(conn: { id: string }, idp: TestSamlIdp, nameId: string, email: string) {
    const failed = env.audit(tenant.id, 'sso.login.failed').length;
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'bank', connection: conn.id }, () => ({ nameId, attributes: { email } }));
    if (!/\/callback\?code=/.test(flow.landed)) return { failure: env.audit(tenant.id, 'sso.login.failed').slice(failed).at(-1)?.metadata };
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    const claims = tokens.claims()!;
    return { sub: claims.sub, email: claims.email, email_verified: claims.email_verified };
  }

  it("refuses to create, just in time, a look-alike in the partner's directory carrying a bank employee's verified email", async () => {
    const created = env.audit(tenant.id, 'directory.user.created').length;
    const r = await signIn(partner, partnerIdp, 'p-alice', 'alice@bank.test');
    expect(r.sub).toBeUndefined();
    expect(r.failure).toMatchObject({ reason: 'user_directory_mismatch', user_id: alice });
    expect(env.audit(tenant.id, 'directory.user.created')).toHaveLength(created);
    // Alice herself still signs in through Okta.
    expect(await signIn(okta, oktaIdp, '00uAlice', 'alice@bank.test')).toMatchObject({ sub: alice, email: 'alice@bank.test', email_verified: true });
  });

  it("still creates the partner's own people just in time in the partner's directory", async () => {
    const r = await signIn(partner, partnerIdp, 'p-carl', 'carl@partner.test');
    expect(r.sub).toBeDefined();
    expect(env.audit(tenant.id, 'directory.user.created').at(-1)).toMatchObject({ target: { id: r.sub }, after: { directory_id: contractors.id } });
  });
});
