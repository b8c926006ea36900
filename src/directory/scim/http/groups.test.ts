import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../../../test/helpers/scim.ts';
import { GROUP_SCHEMA, PATCH_OP } from '../schema/urns.ts';

describe('SCIM /Groups', () => {
  let h: Harness;
  let s: ScimClient;
  let users: string[];
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
    users = [];
    for (const name of ['ann', 'ben', 'cat']) {
      users.push((await s.call('POST', '/Users', { userName: `${name}@acme.test`, displayName: name.toUpperCase() })).body.id);
    }
  });
  afterEach(() => h.close());

  const members = async (id: string) => ((await s.call('GET', `/Groups/${id}`)).body.members ?? []).map((m: { value: string }) => m.value).sort();

  it('creates a group with members and lists member references', async () => {
    const r = await s.call('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Finance', externalId: 'okta-1', members: [{ value: users[0] }, { value: users[1], type: 'User' }] });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ displayName: 'Finance', externalId: 'okta-1', meta: { resourceType: 'Group', version: 'W/"1"' } });
    expect(r.body.members).toEqual(
      expect.arrayContaining([{ value: users[0], $ref: `http://127.0.0.1:8080${s.base}/Users/${users[0]}`, type: 'User' }]),
    );
    const withDisplay = await s.call('GET', `/Groups/${r.body.id}?attributes=members.display,members.value`);
    expect(withDisplay.body.members).toEqual(expect.arrayContaining([{ value: users[0], display: 'ANN' }]));
    const user = await s.call('GET', `/Users/${users[0]}`);
    expect(user.body.groups).toEqual([{ value: r.body.id, $ref: `http://127.0.0.1:8080${s.base}/Groups/${r.body.id}`, display: 'Finance', type: 'direct' }]);
  });

  it('refuses unknown members and a second group with the same displayName, changing nothing', async () => {
    const bad = await s.call('POST', '/Groups', { displayName: 'X', members: [{ value: 'usr_nope' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe('invalidValue');
    await s.call('POST', '/Groups', { displayName: 'Finance' });
    const dup = await s.call('POST', '/Groups', { displayName: 'FINANCE' });
    expect(dup.status).toBe(409);
    expect(dup.body.scimType).toBe('uniqueness');
    expect((await s.call('GET', '/Groups')).body.totalResults).toBe(1);
    const nested = await s.call('POST', '/Groups', { displayName: 'Y', members: [{ value: users[0], type: 'Group' }] });
    expect(nested.status).toBe(400);
  });

  it('patches membership with 204 and bumps the version; returns the group when attributes are asked for', async () => {
    const { body: g } = await s.call('POST', '/Groups', { displayName: 'Finance', members: [{ value: users[0] }] });
    const add = await s.call('PATCH', `/Groups/${g.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: users[1] }, { value: users[2] }] }] });
    expect(add.status).toBe(204);
    expect(add.res.headers.get('etag')).toBe('W/"2"');
    expect(await members(g.id)).toEqual([...users].sort());
    const rm = await s.call('PATCH', `/Groups/${g.id}?excludedAttributes=members`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${users[0]}"]` }] });
    expect(rm.status).toBe(200);
    expect(rm.body).toMatchObject({ id: g.id, displayName: 'Finance', meta: { version: 'W/"3"' } });
    expect(rm.body.members).toBeUndefined();
    expect(await members(g.id)).toEqual([users[1], users[2]].sort());
  });

  it('replaces all members with PUT and with a replace of members (Okta full push)', async () => {
    const { body: g } = await s.call('POST', '/Groups', { displayName: 'Finance', members: [{ value: users[0] }] });
    await s.call('PUT', `/Groups/${g.id}`, { displayName: 'Finance', members: [{ value: users[1] }] });
    expect(await members(g.id)).toEqual([users[1]]);
    await s.call('PATCH', `/Groups/${g.id}`, { Operations: [{ op: 'replace', path: 'members', value: [{ value: users[2] }, { value: users[0] }] }] });
    expect(await members(g.id)).toEqual([users[0], users[2]].sort());
    const events = h.services.audit.list(s.tenantId, { target_id: g.id }, undefined, 20).data.map((e) => e.action);
    expect(events.filter((a) => a === 'directory.group.members_removed')).toHaveLength(2);
  });

  it('filters groups by displayName and by member, and excludes members from lists', async () => {
    const { body: g } = await s.call('POST', '/Groups', { displayName: 'Finance Reviewers', members: [{ value: users[0] }] });
    await s.call('POST', '/Groups', { displayName: 'Engineering' });
    const byName = await s.call('GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "finance reviewers"')}`);
    expect(byName.body.Resources).toEqual([expect.objectContaining({ id: g.id })]);
    expect(byName.body.Resources[0].members).toBeUndefined();
    const byMember = await s.call('GET', `/Groups?filter=${encodeURIComponent(`members[value eq "${users[0]}"]`)}`);
    expect(byMember.body.Resources.map((r: { id: string }) => r.id)).toEqual([g.id]);
  });

  it('deletes a group and its memberships', async () => {
    const { body: g } = await s.call('POST', '/Groups', { displayName: 'Finance', members: [{ value: users[0] }] });
    expect((await s.call('DELETE', `/Groups/${g.id}`)).status).toBe(204);
    expect((await s.call('GET', `/Groups/${g.id}`)).status).toBe(404);
    expect((await s.call('GET', `/Users/${users[0]}`)).body.groups).toBeUndefined();
  });

  it('drops a deleted user from its groups', async () => {
    const { body: g } = await s.call('POST', '/Groups', { displayName: 'Finance', members: [{ value: users[0] }, { value: users[1] }] });
    await s.call('DELETE', `/Users/${users[0]}`);
    expect(await members(g.id)).toEqual([users[1]]);
  });
});
