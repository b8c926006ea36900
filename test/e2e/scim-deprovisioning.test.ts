import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authzHarness, BACKENDS } from '../authz/backends.ts';
import type { Harness } from '../helpers/harness.ts';
import { scimClientFor, type ScimClient } from '../helpers/scim.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

const deactivations: [string, (s: ScimClient, id: string) => Promise<{ status: number }>][] = [
  ['Okta path-less replace {active: false}', (s, id) => s.call('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })],
  ['Entra Replace active "False"', (s, id) => s.call('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] })],
  ['Okta PUT with active false', (s, id) => s.call('PUT', `/Users/${id}`, { userName: `${id}@acme.test`, active: false })],
  ['a Bulk PATCH', (s, id) => s.call('POST', '/Bulk', { schemas: [BULK], Operations: [{ method: 'PATCH', path: `/Users/${id}`, data: { Operations: [{ op: 'replace', path: 'active', value: false }] } }] })],
  ['DELETE', (s, id) => s.call('DELETE', `/Users/${id}`)],
];

describe.each(BACKENDS)('SCIM deprovisioning and group access on the %s authorization backend', (backend) => {
  let h: Harness;
  let stop: () => Promise<void>;
  let s: ScimClient;
  let tenant: { id: string; authz_store_id: string };
  let org: string;

  beforeAll(async () => {
    ({ h, stop } = await authzHarness(backend));
    tenant = await h.createTenant('Acme');
    org = `organization:${tenant.id}`;
    s = await scimClientFor(h, tenant.id, tenant.authz_store_id);
  });
  afterAll(() => stop());

  const check = async (user: string, relation: string, object: string): Promise<boolean> => {
    const r = await h.json('POST', `/stores/${tenant.authz_store_id}/check`, { body: { tuple_key: { user, relation, object } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.allowed;
  };
  const tuplesOf = async (user: string) =>
    (await h.json('POST', `/stores/${tenant.authz_store_id}/read`, { body: { tuple_key: { user, object: 'organization:' } } })).body.tuples.length +
    (await h.json('POST', `/stores/${tenant.authz_store_id}/read`, { body: { tuple_key: { user, object: 'group:' } } })).body.tuples.length;
  const user = async (name: string) => (await s.call('POST', '/Users', { userName: `${name}@acme.test`, active: true })).body.id as string;
  const group = async (name: string, members: string[]) => (await s.call('POST', '/Groups', { displayName: name, members: members.map((value) => ({ value })) })).body.id as string;
  const mapGroup = async (groupId: string, relation: string) => {
    const r = await h.json('POST', `/admin/v1/tenants/${tenant.id}/scim/group-mappings`, { body: { group_id: groupId, relation } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as string;
  };
  const grantDirectly = (userId: string, relation: string) =>
    h.json('POST', `/stores/${tenant.authz_store_id}/write`, { body: { writes: { tuple_keys: [{ user: `user:${userId}`, relation, object: org }] } } });

  it.each(deactivations)('%s: a check issued after the response is denied and every tuple of the user is gone', async (how, deactivate) => {
    const id = await user(how.replace(/\W+/g, '-').toLowerCase());
    const g = await group(`Finance Reviewers ${how}`, [id]);
    await mapGroup(g, 'viewer');
    await grantDirectly(id, 'admin');
    expect(await check(`user:${id}`, 'viewer', org)).toBe(true);
    expect(await check(`user:${id}`, 'member', `group:${g}`)).toBe(true);

    const res = await deactivate(s, id);
    expect(res.status).toBeLessThan(300);

    expect(await check(`user:${id}`, 'viewer', org)).toBe(false);
    expect(await check(`user:${id}`, 'admin', org)).toBe(false);
    expect(await check(`user:${id}`, 'member', `group:${g}`)).toBe(false);
    expect(await tuplesOf(`user:${id}`)).toBe(0);

    const events = h.services.audit.list(tenant.id, { target_id: id }, undefined, 50).data;
    const revoked = events
      .filter((e) => e.action === 'directory.user.deprovisioned' || e.action === 'directory.user.deprovision_completed')
      .map((e) => (e.metadata as { revoked: Record<string, number> }).revoked.authz_tuples ?? 0);
    expect(Math.max(...revoked), `${how}: audited number of tuples revoked`).toBe(how === 'DELETE' ? 1 : 2);
  });

  it('removal from a group drops that access only, in the request, and audits the tuple deleted', async () => {
    const leaving = await user('leaving');
    const staying = await user('staying');
    const g = await group('Auditors', [leaving, staying]);
    await mapGroup(g, 'viewer');
    expect(await check(`user:${leaving}`, 'viewer', org)).toBe(true);
    const r = await s.call('PATCH', `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${leaving}"]` }] });
    expect(r.status).toBe(204);
    expect(await check(`user:${leaving}`, 'viewer', org)).toBe(false);
    expect(await check(`user:${staying}`, 'viewer', org)).toBe(true);
    expect((await s.call('GET', `/Users/${leaving}`)).body.active).toBe(true);
    const [removed] = h.services.audit.list(tenant.id, { action: 'directory.group.members_removed', target_id: g }, undefined, 1).data;
    expect(removed?.metadata).toMatchObject({ user_ids: [leaving], count: 1 });
  });

  it('a mapping follows membership changes both ways, and goes with its group', async () => {
    const newcomer = await user('newcomer');
    const g = await group('Approvers', []);
    const mapping = await mapGroup(g, 'member');
    expect(await check(`user:${newcomer}`, 'member', org)).toBe(false);
    await s.call('PATCH', `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ value: newcomer }] }] });
    expect(await check(`user:${newcomer}`, 'member', org)).toBe(true);
    await h.json('DELETE', `/admin/v1/tenants/${tenant.id}/scim/group-mappings/${mapping}`);
    expect(await check(`user:${newcomer}`, 'member', org)).toBe(false);
    await mapGroup(g, 'member');
    expect(await check(`user:${newcomer}`, 'member', org)).toBe(true);
    expect((await s.call('DELETE', `/Groups/${g}`)).status).toBe(204);
    expect(await check(`user:${newcomer}`, 'member', org)).toBe(false);
  });

  it('reactivation restores group access but not what was revoked directly', async () => {
    const id = await user('returning');
    const g = await group('Returners', [id]);
    await mapGroup(g, 'viewer');
    await grantDirectly(id, 'owner');
    await s.call('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] });
    expect(await check(`user:${id}`, 'viewer', org)).toBe(false);
    const back = await s.call('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: true }] });
    expect(back.body.active).toBe(true);
    expect(await check(`user:${id}`, 'viewer', org)).toBe(true);
    expect(await check(`user:${id}`, 'owner', org)).toBe(false);
  });

  it('an inactive user added to a group gets no access until reactivated', async () => {
    const id = await user('dormant');
    await s.call('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] });
    const g = await group('Dormant Group', [id]);
    await mapGroup(g, 'viewer');
    expect(await check(`user:${id}`, 'viewer', org)).toBe(false);
    await s.call('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: true }] });
    expect(await check(`user:${id}`, 'viewer', org)).toBe(true);
  });
});
