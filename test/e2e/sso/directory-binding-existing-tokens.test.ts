import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { LogoutReceiver } from '../../helpers/logout-receiver.ts';
import { scimDirectory } from '../../helpers/scim-directory.ts';

/**
 * The binding is checked at sign-in, and a change of bindings ends, in the admin's request, what
 * was obtained before it that the new bindings would not allow: the session, its refresh tokens
 * and grants (with back-channel logout), per session, so what came through allowed connections stays.
 */
describe('tokens obtained before a directory binding changed', () => {
  let env: SsoEnv;
  let tenant: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  let receiver: LogoutReceiver;
  let partner: { id: string };
  const partnerIdp = new TestSamlIdp('https://partner.example/saml/idp', 'https://idp.partner.test/sso', testKey('attacker'));
  let idps = 0;
  const newIdp = () => (idps++, new TestSamlIdp(`https://okta${idps}.example/saml`, `https://okta${idps}.test/sso`, testKey('attacker')));

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Bank', 'bank');
    await env.verifiedDomain(tenant.id, 'bank.test');
    partner = await env.samlConnection(tenant.id, partnerIdp, { name: 'Partner contractors', attribute_preset: 'generic' });
    receiver = await new LogoutReceiver().start(`${env.base}/oidc`);
    const app = await env.app(tenant.id, { backchannel_logout_uri: receiver.url });
    receiver.audience = app.client_id;
    rp = await env.rp(app);
  });
  afterAll(async () => {
    await receiver?.close();
    await env?.close();
  });

  const bind = (conn: { id: string }, directory_id: string | null) => env.api('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`, { directory_id });
  const connection = async (idp: TestSamlIdp, name: string, directory_id?: string) => ({ idp, ...(await env.samlConnection(tenant.id, idp, { name, ...(directory_id && { directory_id }) })) });
  /** The app refreshes at /oidc/token: the rotated refresh token, or null when refused with invalid_grant. */
  const refresh = (r: client.Configuration, token: string) =>
    client.refreshTokenGrant(r, token).then(
      (t) => t.refresh_token as string,
      (e) => (e?.error === 'invalid_grant' ? null : Promise.reject(e)),
    );
  const revokedFor = (userId: string) => env.audit(tenant.id, 'session.revoked').filter((e) => e.metadata?.user_id === userId);
  const lastUpdate = (connId: string) => env.audit(tenant.id, 'sso.connection.updated').filter((e) => e.target?.id === connId).at(-1);

  type As = { rp: client.Configuration; org: string };
  /** A sign-in through `conn` that the test expects to succeed, as the app: its subject and tokens. */
  async function signIn(conn: { id: string }, idp: TestSamlIdp, nameId: string, email: string, as: As = { rp, org: 'bank' }) {
    const flow = await env.samlLogin(new Browser(), as.rp, idp, { organization: as.org, connection: conn.id }, () => ({ nameId, attributes: { email } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(as.rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return { sub: tokens.claims()!.sub, refresh: tokens.refresh_token as string, access: tokens.access_token };
  }

  /** A sign-in the test expects to be refused: the `sso.login.failed` metadata. */
  async function refusal(conn: { id: string }, idp: TestSamlIdp, nameId: string, email: string) {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'bank', connection: conn.id }, () => ({ nameId, attributes: { email } }));
    expect(flow.landed).not.toMatch(/\/callback\?code=/);
    return env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata;
  }

  it("ends, in the binding PATCH, the session, refresh token and grant the partner obtained as a directory user before the binding (back-channel logout, audited), and leaves the bound connection's own sign-in, other directories' users and the user's tuples", async () => {
    const employees = await scimDirectory(env, tenant.id, 'Okta employees');
    const contractors = await scimDirectory(env, tenant.id, 'Contractors');
    const okta = await connection(newIdp(), 'Okta (employees)');
    const alice = await employees.push({ userName: 'alice@bank.test', externalId: '00uAlice', email: 'alice@bank.test' });
    const carl = await contractors.push({ userName: 'carl@partner.test', externalId: 'p-carl', email: 'carl@partner.test' });
    const stolen = await signIn(partner, partnerIdp, '00uAlice', 'x@partner.test');
    expect(stolen.sub).toBe(alice);
    const own = await signIn(okta, okta.idp, '00uAlice', 'alice@bank.test');
    const contractor = await signIn(partner, partnerIdp, 'p-carl', 'carl@partner.test');
    expect(contractor.sub).toBe(carl);
    const rotated = await refresh(rp, stolen.refresh);
    expect(rotated).toEqual(expect.any(String));
    await env.services.authz.write(tenant.authz_store_id, { writes: { tuple_keys: [{ user: `user:${alice}`, relation: 'member', object: `organization:${tenant.id}` }] } });
    const logoutsBefore = receiver.tokens.filter((t) => t.sub === alice).length;

    expect((await bind(okta, employees.id)).status).toBe(200);

    // Already true when the PATCH answered:
    expect(receiver.tokens.filter((t) => t.sub === alice).length).toBe(logoutsBefore + 1);
    const [event, ...more] = revokedFor(alice);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      actor: { type: 'platform_key' },
      metadata: { reason: 'directory_binding_changed', changed_connection_id: okta.id, connection_id: partner.id, user_id: alice, grants: 1, refresh_tokens: 1 },
    });
    expect(lastUpdate(okta.id)?.metadata).toEqual({ sessions_revoked: 1 });
    expect(await refresh(rp, rotated as string)).toBeNull();
    expect((await client.tokenIntrospection(rp, stolen.access)).active).toBe(false);
    expect(await refusal(partner, partnerIdp, '00uAlice', 'x@partner.test')).toMatchObject({ reason: 'user_directory_mismatch' });

    expect(await refresh(rp, own.refresh)).toEqual(expect.any(String));
    expect(await refresh(rp, contractor.refresh)).toEqual(expect.any(String));
    expect(revokedFor(carl)).toEqual([]);
    const kept = await env.services.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${alice}`, relation: 'member', object: `organization:${tenant.id}` } });
    expect(kept.allowed).toBe(true);
  });

  it('ends the sign-ins a connection created with directory_id makes disallowed, in the POST', async () => {
    const staff = await scimDirectory(env, tenant.id, 'Staff');
    const dan = await staff.push({ userName: 'dan@bank.test', externalId: '00uDan', email: 'dan@bank.test' });
    const stolen = await signIn(partner, partnerIdp, '00uDan', 'x@partner.test');
    expect(stolen.sub).toBe(dan);

    const okta = await connection(newIdp(), 'Okta (staff)', staff.id);

    const created = env.audit(tenant.id, 'sso.connection.created').find((e) => e.target?.id === okta.id);
    expect(created?.metadata).toEqual({ sessions_revoked: 1 });
    expect(revokedFor(dan)).toMatchObject([{ metadata: { reason: 'directory_binding_changed', changed_connection_id: okta.id, connection_id: partner.id } }]);
    expect(await refresh(rp, stolen.refresh)).toBeNull();
    expect((await signIn(okta, okta.idp, '00uDan', 'dan@bank.test')).sub).toBe(dan);
  });

  it("ends the sessions a connection made for its old directory's users when it is rebound, and leaves those of the old directory's other bound connection", async () => {
    const d1 = await scimDirectory(env, tenant.id, 'D1');
    const d2 = await scimDirectory(env, tenant.id, 'D2');
    const okta = await connection(newIdp(), 'Okta', d1.id);
    const okta2 = await connection(newIdp(), 'Okta 2', d1.id);
    const bea = await d1.push({ userName: 'bea@bank.test', externalId: '00uBea', email: 'bea@bank.test' });
    const first = await signIn(okta, okta.idp, '00uBea', 'bea@bank.test');
    const second = await signIn(okta2, okta2.idp, '00uBea', 'bea@bank.test');
    expect([first.sub, second.sub]).toEqual([bea, bea]);

    expect((await bind(okta, d2.id)).status).toBe(200);

    expect(lastUpdate(okta.id)?.metadata).toEqual({ sessions_revoked: 1 });
    expect(revokedFor(bea)).toMatchObject([{ metadata: { reason: 'directory_binding_changed', connection_id: okta.id } }]);
    expect(await refresh(rp, first.refresh)).toBeNull();
    expect(await refresh(rp, second.refresh)).toEqual(expect.any(String));
    expect(await refusal(okta, okta.idp, '00uBea', 'bea@bank.test')).toMatchObject({ reason: 'user_not_provisioned' });
  });

  it('ends them too when the old directory is left with no bound connection: a bound connection signs in only its own directory', async () => {
    const d1 = await scimDirectory(env, tenant.id, 'D1 alone');
    const d2 = await scimDirectory(env, tenant.id, 'D2 alone');
    const okta = await connection(newIdp(), 'Okta alone', d1.id);
    const eve = await d1.push({ userName: 'eve@bank.test', externalId: '00uEve', email: 'eve@bank.test' });
    const first = await signIn(okta, okta.idp, '00uEve', 'eve@bank.test');
    expect(first.sub).toBe(eve);

    expect((await bind(okta, d2.id)).status).toBe(200);

    expect(revokedFor(eve)).toHaveLength(1);
    expect(await refresh(rp, first.refresh)).toBeNull();
  });

  it("unbinding the directory's only bound connection ends nothing; unbinding one of two ends that connection's sessions of the directory's users", async () => {
    const d = await scimDirectory(env, tenant.id, 'Unbinding');
    const a = await connection(newIdp(), 'A', d.id);
    const b = await connection(newIdp(), 'B', d.id);
    const fay = await d.push({ userName: 'fay@bank.test', externalId: '00uFay', email: 'fay@bank.test' });
    const viaA = await signIn(a, a.idp, '00uFay', 'fay@bank.test');
    const viaB = await signIn(b, b.idp, '00uFay', 'fay@bank.test');

    expect((await bind(a, null)).status).toBe(200);
    expect(lastUpdate(a.id)?.metadata).toEqual({ sessions_revoked: 1 });
    expect(revokedFor(fay)).toMatchObject([{ metadata: { connection_id: a.id } }]);
    expect(await refresh(rp, viaA.refresh)).toBeNull();

    expect((await bind(b, null)).status).toBe(200);
    expect(lastUpdate(b.id)?.metadata).toBeNull();
    expect(revokedFor(fay)).toHaveLength(1);
    expect(await refresh(rp, viaB.refresh)).toEqual(expect.any(String));
  });

  it('revokes nothing and records no count when the change affects no session (another field, or a binding nobody signed in against)', async () => {
    const d = await scimDirectory(env, tenant.id, 'Quiet');
    const okta = await connection(newIdp(), 'Quiet Okta');
    const before = env.audit(tenant.id, 'session.revoked').length;
    expect((await env.api('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${okta.id}`, { name: 'Quiet Okta renamed' })).status).toBe(200);
    expect(lastUpdate(okta.id)?.metadata).toBeNull();
    expect((await bind(okta, d.id)).status).toBe(200);
    expect(lastUpdate(okta.id)?.metadata).toBeNull();
    expect(env.audit(tenant.id, 'session.revoked')).toHaveLength(before);
  });

  it("leaves another tenant's sessions alone", async () => {
    const other = await env.tenant('Other bank', 'other');
    const otherDir = await scimDirectory(env, other.id, 'Other employees');
    const otherPartnerIdp = new TestSamlIdp('https://partner.example/saml/idp2', 'https://idp.partner.test/sso2', testKey('attacker'));
    const otherPartner = await env.samlConnection(other.id, otherPartnerIdp, { name: 'Other partner', attribute_preset: 'generic' });
    const otherRp = await env.rp(await env.app(other.id));
    const gus = await otherDir.push({ userName: 'gus@other.test', externalId: '00uGus', email: 'gus@other.test' });
    const theirs = await signIn(otherPartner, otherPartnerIdp, '00uGus', 'x@partner.test', { rp: otherRp, org: 'other' });
    expect(theirs.sub).toBe(gus);

    const d = await scimDirectory(env, tenant.id, 'Ours');
    const okta = await connection(newIdp(), 'Ours Okta');
    expect((await bind(okta, d.id)).status).toBe(200);
    // The other tenant's directory id cannot be bound here.
    expect((await bind(okta, otherDir.id)).status).toBe(400);

    expect(env.audit(other.id, 'session.revoked')).toEqual([]);
    expect(await refresh(otherRp, theirs.refresh)).toEqual(expect.any(String));
  });
});
