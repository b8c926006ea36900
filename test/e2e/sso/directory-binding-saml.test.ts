import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { bankWithPartner, scimDirectory, type ScimDirectory } from '../../helpers/scim-directory.ts';

/**
 * A bank connects Okta for its employees (Okta also pushes them by SCIM into a directory), then
 * a second SAML IdP for a partner's contractors. With the Okta connection bound to the
 * employees' directory, the partner's IdP admin cannot sign in as an employee by asserting their
 * external id or email; Okta still signs them in; other users link as before.
 */
describe('a connection bound to a SCIM directory (SAML)', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let employees: ScimDirectory;
  let okta: { id: string };
  let partner: { id: string };
  let alice: string;
  let bea: string;
  const oktaIdp = new TestSamlIdp();
  const partnerIdp = new TestSamlIdp('https://partner.example/saml/idp', 'https://idp.partner.test/sso', testKey('attacker'));

  beforeAll(async () => {
    env = await SsoEnv.start();
    ({ tenant, employees, okta, partner } = await bankWithPartner(env, { okta: oktaIdp, partner: partnerIdp }, {
      beforeBinding: async (directory) => {
        alice = await directory.push({ userName: 'alice@bank.test', externalId: '00uAlice', email: 'alice@bank.test' });
        bea = await directory.push({ userName: 'bea', externalId: '00uBea', email: 'bea@bank.test' });
      },
    }));
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(() => env?.close());

  const failures = () => env.audit(tenant.id, 'sso.login.failed');
  const setJit = (on: boolean) => env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: on });
  const bind = (conn: { id: string }, directory_id: string | null) => env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`, { directory_id });

  /** A sign-in through `conn` where its IdP asserts NameID `nameId` and `email`: the ID token's subject, or the refusal as audited. */
  async function signIn(conn: { id: string }, idp: TestSamlIdp, nameId: string, email: string) {
    const failed = failures().length;
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'bank', connection: conn.id }, () => ({ nameId, attributes: { email } }));
    if (!/\/callback\?code=/.test(flow.landed)) return { landed: flow.landed, failure: failures().slice(failed).at(-1) };
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return { sub: tokens.claims()!.sub, landed: flow.landed };
  }

  it("signs the directory's users in through the bound connection, by external id and by verified email, and audits the directory", async () => {
    expect((await signIn(okta, oktaIdp, '00uAlice', 'alice@bank.test')).sub).toBe(alice);
    expect(env.audit(tenant.id, 'sso.login.succeeded').at(-1)).toMatchObject({ target: { id: alice }, metadata: { connection_id: okta.id, linked_by: 'external_id', directory_id: employees.id } });
    expect((await signIn(okta, oktaIdp, 'bea.okta.subject', 'bea@bank.test')).sub).toBe(bea);
    expect(env.audit(tenant.id, 'sso.user.linked').at(-1)).toMatchObject({ target: { id: bea }, metadata: { linked_by: 'verified_email', directory_id: employees.id, connection_id: okta.id } });
    expect(env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.metadata).toMatchObject({ directory_id: employees.id });
  });

  it("refuses the partner's IdP asserting an employee's external id: user_directory_mismatch in the audit (user, connection, directory), generic to the person, no session", async () => {
    const sessions = env.sessionCount();
    const r = await signIn(partner, partnerIdp, '00uAlice', 'someone@partner.test');
    expect(r.sub).toBeUndefined();
    expect(r.landed).toMatch(/\/callback\?error=access_denied/);
    expect(decodeURIComponent(r.landed)).not.toMatch(/directory|mismatch|alice|usr_/i);
    expect(r.failure).toMatchObject({
      target: { type: 'connection', id: partner.id },
      metadata: { reason: 'user_directory_mismatch', user_id: alice, directory_id: employees.id, protocol: 'saml', detail: expect.stringContaining(partner.id) },
    });
    expect(r.failure?.metadata?.detail).toContain(employees.id);
    expect(env.sessionCount()).toBe(sessions);
  });

  it("refuses the partner's IdP asserting an employee's email in the verified domain, also with JIT on, and creates no look-alike user", async () => {
    for (const jit of [false, true]) {
      await setJit(jit);
      const created = env.audit(tenant.id, 'directory.user.created').length;
      const r = await signIn(partner, partnerIdp, `contractor-${jit}`, 'alice@bank.test');
      expect(r.failure?.metadata).toMatchObject({ reason: 'user_directory_mismatch', user_id: alice, directory_id: employees.id });
      expect(r.failure?.metadata?.detail).toMatch(/by verified_email/);
      expect(env.audit(tenant.id, 'directory.user.created')).toHaveLength(created);
    }
    await setJit(false);
  });

  it("links tenant-wide again once the connection is unbound (today's behaviour), and refuses again once it is bound again", async () => {
    await bind(okta, null);
    expect((await signIn(partner, partnerIdp, '00uAlice', 'someone@partner.test')).sub).toBe(alice);
    await bind(okta, employees.id);
    expect((await signIn(partner, partnerIdp, '00uAlice', 'someone@partner.test')).failure?.metadata).toMatchObject({ reason: 'user_directory_mismatch', user_id: alice });
    expect((await signIn(okta, oktaIdp, '00uAlice', 'alice@bank.test')).sub).toBe(alice);
  });

  it('keeps the directory reserved while its connection is switched off or back under test', async () => {
    for (const status of ['inactive', 'testing', 'active']) {
      await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${okta.id}`, { status });
      expect([status, (await signIn(partner, partnerIdp, '00uAlice', 'someone@partner.test')).failure?.metadata?.reason]).toEqual([status, 'user_directory_mismatch']);
    }
  });

  it('links users of a directory no connection is bound to through any connection, and of two users with one external id picks the one the connection may use', async () => {
    const contractors = await scimDirectory(env, tenant.id, 'Partner contractors');
    const employeeJdoe = await employees.push({ userName: 'jdoe@bank.test', externalId: 'jdoe' });
    const contractorJdoe = await contractors.push({ userName: 'jdoe@partner.test', externalId: 'jdoe' });
    // The employee comes first in the tenant-wide lookup: the partner's sign-in must look past it.
    expect(employeeJdoe < contractorJdoe).toBe(true);
    expect((await signIn(partner, partnerIdp, 'jdoe', 'jdoe@partner.test')).sub).toBe(contractorJdoe);
    expect(env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.metadata).toMatchObject({ connection_id: partner.id, directory_id: contractors.id });
    expect((await signIn(okta, oktaIdp, 'jdoe', 'jdoe@bank.test')).sub).toBe(employeeJdoe);
    // An unbound directory's user, through the bound connection's neighbour and by verified email too.
    const carl = await contractors.push({ userName: 'carl', externalId: 'p-carl', email: 'carl@bank.test' });
    expect((await signIn(partner, partnerIdp, 'carl.partner.subject', 'carl@bank.test')).sub).toBe(carl);
  });

  it("creates a bound connection's just-in-time user in its directory: reserved to it, and adopted by that directory's SCIM client only", async () => {
    await setJit(true);
    const dana = (await signIn(okta, oktaIdp, '00uDana', 'dana@bank.test')).sub as string;
    expect(env.services.directory.findUserById(tenant.id, dana)).toMatchObject({ directory_id: employees.id, external_id: '00uDana' });
    expect(env.audit(tenant.id, 'directory.user.created').at(-1)).toMatchObject({ target: { id: dana }, after: { directory_id: employees.id }, metadata: { source: 'sso_jit' } });
    expect(env.audit(tenant.id, 'sso.user.linked').at(-1)?.metadata).toMatchObject({ linked_by: 'jit', directory_id: employees.id });
    expect((await signIn(partner, partnerIdp, '00uDana', 'x@partner.test')).failure?.metadata).toMatchObject({ reason: 'user_directory_mismatch', user_id: dana });

    const contractors = await scimDirectory(env, tenant.id, 'Other SCIM client');
    expect((await contractors.post({ userName: 'dana@bank.test', externalId: 'c-dana' })).status).toBe(409);
    const adopted = await employees.post({ userName: 'dana@bank.test', externalId: '00uDana', email: 'dana@bank.test' });
    expect(adopted).toMatchObject({ status: 201, body: { id: dana } });
    expect(env.audit(tenant.id, 'directory.user.updated').at(-1)?.metadata).toMatchObject({ adopted_into_directory: employees.id });
    expect((await employees.post({ userName: 'dana@bank.test' })).body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    expect((await signIn(okta, oktaIdp, '00uDana', 'dana@bank.test')).sub).toBe(dana);
    await setJit(false);
  });

  it("never links the bound connection to a user outside its directory (a partner's just-in-time user with that external id): user_name_taken with JIT on, user_not_provisioned with it off", async () => {
    await setJit(true);
    const pat = (await signIn(partner, partnerIdp, 'p-pat', 'pat@partner.test')).sub as string;
    expect(env.services.directory.findUserById(tenant.id, pat)).toMatchObject({ directory_id: null });
    const r = await signIn(okta, oktaIdp, 'p-pat', 'pat@partner.test');
    expect(r.failure?.metadata).toMatchObject({ reason: 'user_name_taken', detail: expect.stringContaining(employees.id) });
    await setJit(false);
    expect((await signIn(okta, oktaIdp, 'p-pat', 'pat@partner.test')).failure?.metadata).toMatchObject({ reason: 'user_not_provisioned' });
    // The partner's own just-in-time user still signs in through the partner (unbound, not in a bound directory).
    expect((await signIn(partner, partnerIdp, 'p-pat', 'pat@partner.test')).sub).toBe(pat);
  });

  it('shows in a test login whom a sign-in would link to and in which directory, or that it would be refused, writing nothing', async () => {
    const testLogin = async (conn: { id: string }, idp: TestSamlIdp, nameId: string) => {
      const req = TestSamlIdp.readAuthnRequest((await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}/test-login`)).url);
      const res = await new Browser().request(req.acs, { form: { RelayState: req.relayState, SAMLResponse: idp.response({ recipient: req.acs, audience: req.issuer, inResponseTo: req.id, nameId, attributes: { email: 'tester@partner.test' } }) } });
      return { page: await res.text(), lastTest: (await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`)).last_test };
    };
    const sessions = env.sessionCount();
    const ok = await testLogin(okta, oktaIdp, '00uAlice');
    expect(ok.lastTest).toMatchObject({ outcome: 'succeeded', received: { link: { outcome: 'existing_user', user_id: alice, directory_id: employees.id, linked_by: 'external_id', reason: null } } });
    expect(ok.page).toContain(employees.id);
    const refused = await testLogin(partner, partnerIdp, '00uAlice');
    const link = { outcome: 'refused', user_id: alice, directory_id: employees.id, linked_by: null, reason: 'user_directory_mismatch' };
    expect(refused.lastTest).toMatchObject({ outcome: 'succeeded', received: { link } });
    expect(refused.page).toContain('user_directory_mismatch');
    expect(env.audit(tenant.id, 'sso.connection.test_succeeded').at(-1)?.metadata).toMatchObject({ link });
    await setJit(true);
    const created = env.audit(tenant.id, 'directory.user.created').length;
    const fresh = await testLogin(okta, oktaIdp, '00uNobodyYet');
    expect(fresh.lastTest.received.link).toEqual({ outcome: 'new_user', user_id: null, directory_id: employees.id, linked_by: 'jit', reason: null });
    expect(env.audit(tenant.id, 'directory.user.created')).toHaveLength(created);
    expect(env.sessionCount()).toBe(sessions);
    // The user name a new user would get (the email) is now someone else's: a real sign-in would
    // be refused (user_name_taken, never merged), and the preview says so, naming the holder.
    const holder = (await signIn(partner, partnerIdp, 'p-tester', 'tester@partner.test')).sub as string;
    const taken = await testLogin(okta, oktaIdp, '00uNobodyYet');
    expect(taken.lastTest.received.link).toEqual({ outcome: 'refused', user_id: holder, directory_id: null, linked_by: null, reason: 'user_name_taken' });
    expect(taken.page).toContain('user_name_taken');
    const real = await signIn(okta, oktaIdp, '00uNobodyYet', 'tester@partner.test');
    expect(real.failure?.metadata).toMatchObject({ reason: 'user_name_taken', user_id: holder });
    await setJit(false);
  });

  it("releases the directory when the bound connection is deleted: its users are then linked tenant-wide, as before any binding", async () => {
    expect((await signIn(partner, partnerIdp, '00uBea', 'x@partner.test')).failure?.metadata).toMatchObject({ reason: 'user_directory_mismatch', user_id: bea });
    await env.ok('DELETE', `/admin/v1/tenants/${tenant.id}/connections/${okta.id}`);
    expect((await signIn(partner, partnerIdp, '00uBea', 'x@partner.test')).sub).toBe(bea);
  });
});
