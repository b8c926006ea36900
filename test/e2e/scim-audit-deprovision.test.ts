import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.ts';
import { scimClient, scimClientFor, type ScimClient } from '../helpers/scim.ts';
import { TestSamlIdp } from '../helpers/saml-idp.ts';
import { systemActor } from '../../src/audit/events.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const GRANT_MODELS = ['Grant', 'RefreshToken', 'AccessToken'];

const deprovisioners: [string, (s: ScimClient, id: string, userName: string) => Promise<{ status: number }>][] = [
  ['Entra: Replace active "False"', (s, id) => s.call('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] })],
  ['Okta: path-less replace {active: false}', (s, id) => s.call('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })],
  ['PUT with active false', (s, id, userName) => s.call('PUT', `/Users/${id}`, { userName, active: false })],
  ['POST of an inactive user over a JIT one', (s, _id, userName) => s.call('POST', '/Users', { userName, active: false })],
  ['DELETE', (s, id) => s.call('DELETE', `/Users/${id}`)],
  ['a Bulk DELETE', (s, id) => s.call('POST', '/Bulk', { schemas: [BULK], Operations: [{ method: 'DELETE', path: `/Users/${id}` }] })],
];

/**
 * Deprovisioning finishes inside the request: the user's SSO session, its grant, refresh and
 * access tokens and every authorization tuple are gone when the 2xx arrives (checked right
 * after it, with no waiting). A PATCH that fails part-way revokes and changes nothing.
 */
describe('SCIM audit: deprovisioning inside the request, and all-or-nothing writes', () => {
  let h: Harness;
  let s: ScimClient;
  let connectionId: string;
  let org: string;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
    org = `organization:${s.tenantId}`;
    const conn = await h.json('POST', `/admin/v1/tenants/${s.tenantId}/connections`, {
      body: { name: 'Okta', protocol: 'saml', status: 'active', attribute_preset: 'okta', saml: { metadata_xml: new TestSamlIdp().metadataXml() } },
    });
    expect(conn.status, JSON.stringify(conn.body)).toBe(201);
    connectionId = conn.body.id;
  });
  afterEach(() => h.close());

  /** What an SSO sign-in leaves behind for the user: a session and a grant with its tokens. */
  function signedIn(userId: string): { sessionId: string; grantId: string } {
    const { sessions, models } = h.services.sso;
    return h.services.storage.transaction(() => {
      const session = sessions.create({ tenant_id: s.tenantId, user_id: userId, connection_id: connectionId, amr: ['pwd'], acr: 'urn:x', groups: [], idp_session_index: null });
      const grantId = `grant-${userId}`;
      sessions.bindGrant(grantId, session, 'client-app', undefined);
      for (const model of GRANT_MODELS) {
        models.upsert({ model, id: model === 'Grant' ? grantId : `${model}-${userId}`, payload: '{}', grant_id: grantId, client_id: 'client-app', uid: null, user_code: null, account_id: userId, expires_at: null });
      }
      return { sessionId: session.id, grantId };
    });
  }
  const grantRecords = (grantId: string) =>
    (h.services.storage.sql.prepare("SELECT count(*) AS n FROM oidc_models WHERE grant_id = ? OR (model = 'Grant' AND id = ?)").get(grantId, grantId) as { n: number }).n;
  const sessionRevoked = (id: string) => h.services.sso.sessions.find(id)?.revoked_at !== null;
  const check = async (user: string, relation: string, object: string): Promise<boolean> => {
    const r = await h.json('POST', `/stores/${s.storeId}/check`, { body: { tuple_key: { user, relation, object } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.allowed;
  };
  const tuplesOf = async (user: string) => {
    let n = 0;
    for (const object of ['organization:', 'group:']) {
      n += (await h.json('POST', `/stores/${s.storeId}/read`, { body: { tuple_key: { user, object } } })).body.tuples.length;
    }
    return n;
  };
  const newUser = async (userName: string) => (await s.call('POST', '/Users', { userName })).body.id as string;
  const newGroup = async (displayName: string, members: string[]) =>
    (await s.call('POST', '/Groups', { displayName, members: members.map((value) => ({ value })) })).body.id as string;
  const mapGroup = async (groupId: string, relation: string) =>
    expect((await h.json('POST', `/admin/v1/tenants/${s.tenantId}/scim/group-mappings`, { body: { group_id: groupId, relation } })).status).toBe(201);
  const grantDirectly = async (userId: string, relation: string) =>
    expect((await h.json('POST', `/stores/${s.storeId}/write`, { body: { writes: { tuple_keys: [{ user: `user:${userId}`, relation, object: org }] } } })).status).toBe(200);
  const audited = (userId: string, action: string) => h.services.audit.list(s.tenantId, { target_id: userId, action }, undefined, 10).data;

  /** A user with everything deprovisioning must take away, each piece checked to be there. */
  async function fullyEquipped(userName: string) {
    const id = await newUser(userName);
    const group = await newGroup(`Reviewers of ${userName}`, [id]);
    await mapGroup(group, 'viewer');
    await grantDirectly(id, 'admin');
    const login = signedIn(id);
    expect(await check(`user:${id}`, 'viewer', org)).toBe(true);
    expect(await check(`user:${id}`, 'admin', org)).toBe(true);
    expect(await check(`user:${id}`, 'member', `group:${group}`)).toBe(true);
    expect(grantRecords(login.grantId)).toBe(GRANT_MODELS.length);
    expect(sessionRevoked(login.sessionId)).toBe(false);
    return { id, group, ...login };
  }

  it.each(deprovisioners)('%s: session, grant, refresh and access tokens and tuples are gone when the response arrives', async (how, deprovision) => {
    const userName = `${how.replace(/\W+/g, '-').toLowerCase()}@acme.test`;
    let u: Awaited<ReturnType<typeof fullyEquipped>>;
    if (how.startsWith('POST')) {
      // A user who signed in just in time (no directory yet) is adopted by the POST, which deactivates them.
      const jit = h.services.storage.transaction(() =>
        h.services.directory.createUserJustInTime(s.tenantId, { user_name: userName, email: userName, external_id: null, given_name: null, family_name: null, display_name: null }, systemActor()),
      );
      await grantDirectly(jit.id, 'admin');
      u = { id: jit.id, group: '', ...signedIn(jit.id) };
      expect(await check(`user:${jit.id}`, 'admin', org)).toBe(true);
    } else {
      u = await fullyEquipped(userName);
    }

    const res = await deprovision(s, u.id, userName);
    expect(res.status).toBeLessThan(300);

    expect(sessionRevoked(u.sessionId)).toBe(true);
    expect(grantRecords(u.grantId)).toBe(0);
    expect(await check(`user:${u.id}`, 'admin', org)).toBe(false);
    expect(await check(`user:${u.id}`, 'viewer', org)).toBe(false);
    if (u.group) expect(await check(`user:${u.id}`, 'member', `group:${u.group}`)).toBe(false);
    expect(await tuplesOf(`user:${u.id}`)).toBe(0);
    const [event] = audited(u.id, 'directory.user.deprovisioned');
    expect(event?.metadata).toMatchObject({ revoked: { sessions: 1, refresh_tokens: 1, grants: 1 } });
  });

  it('a user PATCH that deactivates and then fails (userName taken) revokes nothing and changes nothing', async () => {
    await newUser('taken@acme.test');
    const u = await fullyEquipped('keeps@acme.test');
    const version = (await s.call('GET', `/Users/${u.id}`)).body.meta.version;
    const r = await s.call('PATCH', `/Users/${u.id}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'add', path: 'title', value: 'Leaver' },
        { op: 'replace', path: 'userName', value: 'TAKEN@acme.test' },
      ],
    });
    expect(r.status).toBe(409);
    expect(r.body.scimType).toBe('uniqueness');
    const after = await s.call('GET', `/Users/${u.id}`);
    expect(after.body).toMatchObject({ active: true, userName: 'keeps@acme.test', meta: { version } });
    expect(after.body.title).toBeUndefined();
    expect(sessionRevoked(u.sessionId)).toBe(false);
    expect(grantRecords(u.grantId)).toBe(GRANT_MODELS.length);
    expect(await check(`user:${u.id}`, 'viewer', org)).toBe(true);
    expect(await check(`user:${u.id}`, 'admin', org)).toBe(true);
    expect(audited(u.id, 'directory.user.deprovisioned')).toHaveLength(0);
    expect(audited(u.id, 'directory.user.deactivated')).toHaveLength(0);
  });

  it('a group PATCH whose last operation fails leaves members, tuples and mapped access as they were', async () => {
    const staying = await newUser('staying@acme.test');
    const joining = await newUser('joining@acme.test');
    const group = await newGroup('Approvers', [staying]);
    await newGroup('Taken name', []);
    await mapGroup(group, 'viewer');
    const foreign = (await (await scimClientFor(h, s.tenantId, s.storeId)).call('POST', '/Users', { userName: 'elsewhere@acme.test' })).body.id;
    const other = await scimClient(h, 'Other');
    const otherTenantUser = (await other.call('POST', '/Users', { userName: 'far@other.test' })).body.id;

    const attempts: [unknown[], number, string][] = [
      [[{ op: 'add', path: 'members', value: [{ value: joining }] }, { op: 'remove', path: `members[value eq "${staying}"]` }, { op: 'replace', path: 'displayName', value: 'TAKEN NAME' }], 409, 'uniqueness'],
      [[{ op: 'Remove', path: 'members', value: [{ value: staying }] }, { op: 'Add', path: 'members', value: [{ value: joining }, { value: foreign }] }], 400, 'invalidValue'],
      [[{ op: 'replace', path: 'members', value: [{ value: joining }] }, { op: 'add', path: 'members', value: [{ value: otherTenantUser }] }], 400, 'invalidValue'],
      [[{ op: 'remove', path: 'members' }, { op: 'add', path: 'members[value eq "x"', value: [] }], 400, 'invalidPath'],
    ];
    for (const [ops, status, scimType] of attempts) {
      const r = await s.call('PATCH', `/Groups/${group}`, { schemas: [PATCH_OP], Operations: ops });
      expect(r.status, JSON.stringify(ops)).toBe(status);
      expect(r.body.scimType).toBe(scimType);
    }
    const after = await s.call('GET', `/Groups/${group}`);
    expect(after.body).toMatchObject({ displayName: 'Approvers', meta: { version: 'W/"1"' } });
    expect(after.body.members.map((m: { value: string }) => m.value)).toEqual([staying]);
    expect(await check(`user:${staying}`, 'member', `group:${group}`)).toBe(true);
    expect(await check(`user:${staying}`, 'viewer', org)).toBe(true);
    expect(await tuplesOf(`user:${joining}`)).toBe(0);
    expect(await check(`user:${joining}`, 'viewer', org)).toBe(false);
    const actions = h.services.audit.list(s.tenantId, { target_id: group }, undefined, 20).data.map((e) => e.action);
    expect(actions.filter((a) => a.startsWith('directory.group.')).sort()).toEqual(['directory.group.created', 'directory.group.members_added']);
  });
});
