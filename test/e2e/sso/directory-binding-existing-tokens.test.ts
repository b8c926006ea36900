import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { scimDirectory } from '../../helpers/scim-directory.ts';

/**
 * The binding is checked at sign-in. What was obtained before a binding (or before a rebinding)
 * lives on until it is revoked: these tests pin that, and the documented way to end it
 * (deactivate and reactivate the user by SCIM).
 */
describe('tokens obtained before a directory binding changed', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let employees: Awaited<ReturnType<typeof scimDirectory>>;
  let okta: { id: string };
  let partner: { id: string };
  const oktaIdp = new TestSamlIdp();
  const partnerIdp = new TestSamlIdp('https://partner.example/saml/idp', 'https://idp.partner.test/sso', testKey('attacker'));

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Bank', 'bank');
    await env.verifiedDomain(tenant.id, 'bank.test');
    employees = await scimDirectory(env, tenant.id, 'Okta employees');
    okta = await env.samlConnection(tenant.id, oktaIdp, { name: 'Okta (employees)' });
    partner = await env.samlConnection(tenant.id, partnerIdp, { name: 'Partner contractors', attribute_preset: 'generic' });
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(() => env?.close());

  const bind = (conn: { id: string }, directory_id: string | null) => env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`, { directory_id });
  const refreshes = (token: string) => client.refreshTokenGrant(rp, token).then((t) => t.refresh_token as string, () => null);
  const setActive = (id: string, active: boolean) =>
    employees.call('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active } }] });

  async function signIn(conn: { id: string }, idp: TestSamlIdp, nameId: string, email: string) {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'bank', connection: conn.id }, () => ({ nameId, attributes: { email } }));
    if (!/\/callback\?code=/.test(flow.landed)) return { failure: env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata };
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return { sub: tokens.claims()!.sub, refresh: tokens.refresh_token as string };
  }

  it("keeps a refresh token the partner obtained as a directory user before the binding working after it, until SCIM deactivates and reactivates the user", async () => {
    const alice = await employees.push({ userName: 'alice@bank.test', externalId: '00uAlice', email: 'alice@bank.test' });
    const before = await signIn(partner, partnerIdp, '00uAlice', 'x@partner.test');
    expect(before.sub).toBe(alice);
    await bind(okta, employees.id);
    expect((await signIn(partner, partnerIdp, '00uAlice', 'x@partner.test')).failure).toMatchObject({ reason: 'user_directory_mismatch' });
    const rotated = await refreshes(before.refresh as string);
    expect(rotated).toEqual(expect.any(String));
    expect((await setActive(alice, false)).status).toBe(200);
    expect((await setActive(alice, true)).status).toBe(200);
    expect(await refreshes(rotated as string)).toBeNull();
    expect((await signIn(okta, oktaIdp, '00uAlice', 'alice@bank.test')).sub).toBe(alice);
  });

  it("keeps the sessions a connection made for its old directory's users when it is rebound to another directory, while the old directory stays reserved to its other connection", async () => {
    const bea = await employees.push({ userName: 'bea@bank.test', externalId: '00uBea', email: 'bea@bank.test' });
    const secondOkta = await env.samlConnection(tenant.id, new TestSamlIdp('https://okta2.example/saml', 'https://okta2.test/sso', testKey('attacker')), { name: 'Okta 2', directory_id: employees.id });
    const first = await signIn(okta, oktaIdp, '00uBea', 'bea@bank.test');
    expect(first.sub).toBe(bea);
    const others = await scimDirectory(env, tenant.id, 'Other');
    await bind(okta, others.id);
    expect((await signIn(okta, oktaIdp, '00uBea', 'bea@bank.test')).failure).toMatchObject({ reason: 'user_not_provisioned' });
    expect(await refreshes(first.refresh as string)).toEqual(expect.any(String));
    expect(secondOkta.directory_id).toBe(employees.id);
  });
});
