import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { LogoutReceiver } from '../../helpers/logout-receiver.ts';
import { bankWithPartner, scimDirectory, type ScimDirectory } from '../../helpers/scim-directory.ts';

/**
 * Pre-hijacking through adoption: a partner's unbound connection (just-in-time provisioning on,
 * the bank's domain verified) signs in as alice@bank.test before Okta's SCIM client pushes her.
 * When Okta's directory, bound to the Okta connection, adopts that user, everything the partner
 * obtained for signing in is revoked inside the SCIM request, and the relations the partner's
 * group mappings granted her; her other authorization tuples stay.
 */
describe('SCIM adoption of a just-in-time user into a bound directory', () => {
  let env: SsoEnv;
  let tenant: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  let receiver: LogoutReceiver;
  let employees: ScimDirectory;
  let okta: { id: string };
  let partner: { id: string };
  const oktaIdp = new TestSamlIdp();
  const partnerIdp = new TestSamlIdp('https://partner.example/saml/idp', 'https://idp.partner.test/sso', testKey('attacker'));

  beforeAll(async () => {
    env = await SsoEnv.start();
    ({ tenant, employees, okta, partner } = await bankWithPartner(env, { okta: oktaIdp, partner: partnerIdp }, {
      jit: true,
      partner: { group_mappings: [{ idp_group: 'Contractors', relation: 'viewer' }, { idp_group: 'Contractors', relation: 'admin' }] },
      okta: { group_mappings: [{ idp_group: 'Admins', relation: 'admin' }] },
    }));
    receiver = await new LogoutReceiver().start(`${env.base}/oidc`);
    const app = await env.app(tenant.id, { backchannel_logout_uri: receiver.url });
    receiver.audience = app.client_id;
    rp = await env.rp(app);
  });
  afterAll(async () => {
    await receiver?.close();
    await env?.close();
  });

  /** A completed sign-in through `conn` (its IdP asserting `nameId` and `email`), as the app: the tokens and the browser. */
  async function signIn(conn: { id: string }, idp: TestSamlIdp, nameId: string, email: string, groups: string[] = []) {
    const browser = new Browser();
    const flow = await env.samlLogin(browser, rp, idp, { organization: 'bank', connection: conn.id }, () => ({ nameId, attributes: { email, groups } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return { tokens, browser, sub: tokens.claims()!.sub };
  }

  /** Where the browser's next authorization request through `conn` goes: straight back to the app (a live session) or to the IdP. */
  async function nextAuthorization(browser: Browser, conn: { id: string }, idp: TestSamlIdp): Promise<'app' | 'idp'> {
    const { url } = await authorizationRequest(rp, { organization: 'bank', connection: conn.id });
    const stop = await browser.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl) || l.startsWith('http://127.0.0.1:9/'));
    return stop.url.startsWith(idp.ssoUrl) ? 'idp' : 'app';
  }

  /** Whether the app can refresh with this token (rotates it: call once per token). */
  const refreshWorks = async (refreshToken: string) =>
    client.refreshTokenGrant(rp, refreshToken).then(
      () => true,
      (e) => (e?.error === 'invalid_grant' ? false : Promise.reject(e)),
    );
  const adoptedEvents = (userId: string) =>
    env.audit(tenant.id, 'directory.user.deprovisioned').filter((e) => e.target?.id === userId && e.metadata?.reason === 'scim_adopted');
  const logoutsFor = (userId: string) => receiver.tokens.filter((t) => t.sub === userId).length;
  const liveSessions = (userId: string) =>
    (env.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL').get(userId) as { n: number }).n;
  const holds = async (userId: string, relation: string) =>
    (await env.services.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${userId}`, relation, object: `organization:${tenant.id}` } })).allowed;
  /** The user's own tuples on the organization (relations implied by others are not listed). */
  const directRelations = async (userId: string) =>
    (await env.services.authz.read(tenant.authz_store_id, { tuple_key: { user: `user:${userId}`, object: `organization:${tenant.id}` } })).tuples.map((t) => t.key.relation).sort();

  /** The partner's IdP signs in as `name`@bank.test just in time (a user outside any directory); returns its tokens and browser. */
  async function partnerSignsInAs(name: string) {
    const r = await signIn(partner, partnerIdp, `partner-${name}`, `${name}@bank.test`, ['Contractors']);
    expect(env.services.directory.findUserById(tenant.id, r.sub)).toMatchObject({ user_name: `${name}@bank.test`, directory_id: null });
    return r;
  }

  it("revokes the partner's session, refresh token, access token, grant and mapped relations inside the adopting SCIM POST, with back-channel logout and a scim_adopted audit event; other tuples stay, and Alice signs in through Okta", async () => {
    const stolen = await partnerSignsInAs('alice');
    const alice = stolen.sub;
    expect(await nextAuthorization(stolen.browser, partner, partnerIdp)).toBe('app');
    // What the app itself wrote for this user id, and what the partner's group mapping granted.
    await env.services.authz.write(tenant.authz_store_id, { writes: { tuple_keys: [{ user: `user:${alice}`, relation: 'member', object: `organization:${tenant.id}` }] } });
    expect(await directRelations(alice)).toEqual(['admin', 'member', 'viewer']);
    // The app refreshes (rotation): the partner holds a live refresh token and access token.
    const latest = await client.refreshTokenGrant(rp, stolen.tokens.refresh_token as string);
    expect((await client.tokenIntrospection(rp, latest.access_token)).active).toBe(true);
    expect(logoutsFor(alice)).toBe(0);

    const adopted = await employees.post({ userName: 'alice@bank.test', externalId: '00uAlice', email: 'alice@bank.test' });
    expect(adopted).toMatchObject({ status: 201, body: { id: alice } });

    // Already true when the SCIM response arrived:
    expect(logoutsFor(alice)).toBe(1);
    expect(liveSessions(alice)).toBe(0);
    const [event] = adoptedEvents(alice);
    expect(event).toMatchObject({ actor: { type: 'scim_token' }, metadata: { reason: 'scim_adopted', kept: ['authz_tuples'], revoked: { sessions: 1, mapped_relations: 2 } } });
    const revoked = event?.metadata?.revoked as Record<string, number>;
    expect(revoked.refresh_tokens).toBeGreaterThanOrEqual(1);
    expect(revoked.grants).toBeGreaterThanOrEqual(1);
    expect(revoked).not.toHaveProperty('authz_tuples');
    expect(env.audit(tenant.id, 'session.revoked').at(-1)?.metadata).toEqual({ reason: 'scim_adopted' });
    // The session and the mapped relations were ended by the SCIM request: its token's doing.
    expect(env.audit(tenant.id, 'session.revoked').at(-1)?.actor.type).toBe('scim_token');
    expect(env.audit(tenant.id, 'authz.tuples.deleted').at(-1)?.actor.type).toBe('scim_token');

    await expect(client.refreshTokenGrant(rp, latest.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(rp, latest.access_token)).active).toBe(false);
    await expect(client.fetchUserInfo(rp, latest.access_token, alice)).rejects.toBeTruthy();
    // The partner's browser has no Portcullis session left: the next authorization goes to its IdP, which is now refused.
    expect(await nextAuthorization(stolen.browser, partner, partnerIdp)).toBe('idp');

    // The partner's mappings no longer speak for her; what the app wrote for her id stays.
    expect(await directRelations(alice)).toEqual(['member']);
    expect(await holds(alice, 'admin')).toBe(false);
    expect(env.audit(tenant.id, 'authz.tuples.deleted').some((e) => JSON.stringify(e).includes(`user:${alice}`))).toBe(true);

    // Okta's own mapping grants what Okta says (admin through its Admins group).
    const real = await signIn(okta, oktaIdp, '00uAlice', 'alice@bank.test', ['Admins']);
    expect(real.sub).toBe(alice);
    expect(await refreshWorks(real.tokens.refresh_token as string)).toBe(true);
    expect(await directRelations(alice)).toEqual(['admin', 'member']);
  });

  it('revokes nothing on a second POST of the adopted user name (409): the sign-ins through the bound connection stay', async () => {
    const stolen = await partnerSignsInAs('erin');
    const erin = stolen.sub;
    expect((await employees.post({ userName: 'erin@bank.test', externalId: '00uErin' })).status).toBe(201);
    expect(adoptedEvents(erin)).toHaveLength(1);
    await expect(client.refreshTokenGrant(rp, stolen.tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });

    const real = await signIn(okta, oktaIdp, '00uErin', 'erin@bank.test');
    const logouts = logoutsFor(erin);
    expect((await employees.post({ userName: 'erin@bank.test', externalId: '00uErin' })).body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    expect(adoptedEvents(erin)).toHaveLength(1);
    expect(logoutsFor(erin)).toBe(logouts);
    expect(liveSessions(erin)).toBe(1);
    expect(await refreshWorks(real.tokens.refresh_token as string)).toBe(true);
    expect(await nextAuthorization(real.browser, okta, oktaIdp)).toBe('app');
  });

  it("revokes nothing when the adopting directory has no connection bound to it, nor for a bound connection's own just-in-time user; only for one crossing into a bound directory", async () => {
    // Signed in just in time before SCIM was set up: not logged out by the adoption.
    const unboundDirectory = await scimDirectory(env, tenant.id, 'Not bound');
    const bob = await partnerSignsInAs('bob');
    expect((await unboundDirectory.post({ userName: 'bob@bank.test', externalId: 'b-bob' })).body).toMatchObject({ id: bob.sub });
    expect(env.services.directory.findUserById(tenant.id, bob.sub)?.directory_id).toBe(unboundDirectory.id);
    expect(await refreshWorks(bob.tokens.refresh_token as string)).toBe(true);
    expect(liveSessions(bob.sub)).toBe(1);
    expect(logoutsFor(bob.sub)).toBe(0);
    expect(adoptedEvents(bob.sub)).toHaveLength(0);

    // Created into the bound directory by its own connection: those sign-ins are the directory's.
    const dana = await signIn(okta, oktaIdp, '00uDana', 'dana@bank.test');
    expect(env.services.directory.findUserById(tenant.id, dana.sub)?.directory_id).toBe(employees.id);
    expect((await employees.post({ userName: 'dana@bank.test', externalId: '00uDana' })).body).toMatchObject({ id: dana.sub });
    expect(await refreshWorks(dana.tokens.refresh_token as string)).toBe(true);
    expect(adoptedEvents(dana.sub)).toHaveLength(0);

    const carol = await partnerSignsInAs('carol');
    expect((await employees.post({ userName: 'carol@bank.test', externalId: '00uCarol' })).body).toMatchObject({ id: carol.sub });
    expect(await refreshWorks(carol.tokens.refresh_token as string)).toBe(false);
    expect(adoptedEvents(carol.sub)).toHaveLength(1);
  });
});
