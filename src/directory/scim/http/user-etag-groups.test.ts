import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../../../test/helpers/scim.ts';
import { etagOf, expectStale, expectUnchanged } from '../../../../test/helpers/scim-etags.ts';
import { BULK_REQUEST, PATCH_OP } from '../schema/urns.ts';

/** A user's representation lists its groups (`groups[].value`, `display`): its ETag follows them. */
describe('SCIM user ETags and the groups a user is in', () => {
  let h: Harness;
  let s: ScimClient;
  let ann: string;
  let ben: string;
  let cat: string;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
    const push = async (name: string): Promise<string> => (await s.call('POST', '/Users', { userName: `${name}@acme.test`, displayName: name.toUpperCase() })).body.id;
    ann = await push('ann');
    ben = await push('ben');
    cat = await push('cat');
  });
  afterEach(() => h.close());

  const user = (id: string) => `/Users/${id}`;
  const etags = <T extends string[]>(...ids: T) => Promise.all(ids.map((id) => etagOf(s, user(id)))) as Promise<{ [K in keyof T]: string }>;
  const groupNames = (body: { groups?: { display: string }[] }) => (body.groups ?? []).map((g) => g.display).sort();
  const patchGroup = (id: string, Operations: unknown[]) => s.call('PATCH', `/Groups/${id}`, { schemas: [PATCH_OP], Operations });

  it('changes when a group is created with the user as a member, not for a user left out', async () => {
    const [annTag, benTag] = await etags(ann, ben);
    h.clock.advance(60_000);
    const created = await s.call('POST', '/Groups', { displayName: 'Finance', members: [{ value: ann }] });
    expect(created.status).toBe(201);
    const body = await expectStale(s, user(ann), annTag);
    expect(groupNames(body)).toEqual(['Finance']);
    expect(body.meta.lastModified).toBe(h.clock.now().toISOString());
    await expectUnchanged(s, user(ben), benTag);
  });

  it('changes when a PATCH adds the user to a group or removes it, not when another member comes or goes', async () => {
    const { body: g } = await s.call('POST', '/Groups', { displayName: 'Finance', members: [{ value: ben }] });
    const [annTag, benTag] = await etags(ann, ben);
    expect((await patchGroup(g.id, [{ op: 'add', path: 'members', value: [{ value: ann }] }])).status).toBe(204);
    expect(groupNames(await expectStale(s, user(ann), annTag))).toEqual(['Finance']);
    await expectUnchanged(s, user(ben), benTag);

    const annAdded = await etagOf(s, user(ann));
    expect((await patchGroup(g.id, [{ op: 'remove', path: `members[value eq "${ann}"]` }])).status).toBe(204);
    expect(groupNames(await expectStale(s, user(ann), annAdded))).toEqual([]);
    await expectUnchanged(s, user(ben), benTag);
  });

  it('changes for the users a PUT of the group adds or removes, not for the members it keeps', async () => {
    const { body: g } = await s.call('POST', '/Groups', { displayName: 'Finance', members: [{ value: ann }, { value: ben }] });
    const [annTag, benTag, catTag] = await etags(ann, ben, cat);
    const put = await s.call('PUT', `/Groups/${g.id}`, { displayName: 'Finance', members: [{ value: ben }, { value: cat }] });
    expect(put.status).toBe(200);
    expect(groupNames(await expectStale(s, user(ann), annTag))).toEqual([]);
    expect(groupNames(await expectStale(s, user(cat), catTag))).toEqual(['Finance']);
    await expectUnchanged(s, user(ben), benTag);
  });

  it("changes for every member when the group is renamed (PATCH or PUT), not when only the group's externalId changes", async () => {
    const { body: g } = await s.call('POST', '/Groups', { displayName: 'Finance', members: [{ value: ann }, { value: ben }] });
    const [annTag, benTag, catTag] = await etags(ann, ben, cat);
    expect((await patchGroup(g.id, [{ op: 'replace', value: { id: g.id, displayName: 'Finance EMEA' } }])).status).toBe(204);
    expect(groupNames(await expectStale(s, user(ann), annTag))).toEqual(['Finance EMEA']);
    expect(groupNames(await expectStale(s, user(ben), benTag))).toEqual(['Finance EMEA']);
    await expectUnchanged(s, user(cat), catTag);

    const [annRenamed, benRenamed] = await etags(ann, ben);
    const put = await s.call('PUT', `/Groups/${g.id}`, { displayName: 'Finance APAC', members: [{ value: ann }, { value: ben }] });
    expect(put.status).toBe(200);
    expect(groupNames(await expectStale(s, user(ann), annRenamed))).toEqual(['Finance APAC']);
    expect(groupNames(await expectStale(s, user(ben), benRenamed))).toEqual(['Finance APAC']);

    const [annNow, benNow] = await etags(ann, ben);
    expect((await patchGroup(g.id, [{ op: 'replace', path: 'externalId', value: 'okta-7' }])).status).toBe(204);
    await expectUnchanged(s, user(ann), annNow);
    await expectUnchanged(s, user(ben), benNow);
  });

  it('changes for every member when the group is deleted', async () => {
    const { body: g } = await s.call('POST', '/Groups', { displayName: 'Finance', members: [{ value: ann }, { value: ben }] });
    await s.call('POST', '/Groups', { displayName: 'Legal', members: [{ value: ann }] });
    const [annTag, benTag, catTag] = await etags(ann, ben, cat);
    expect((await s.call('DELETE', `/Groups/${g.id}`)).status).toBe(204);
    expect(groupNames(await expectStale(s, user(ann), annTag))).toEqual(['Legal']);
    expect(groupNames(await expectStale(s, user(ben), benTag))).toEqual([]);
    await expectUnchanged(s, user(cat), catTag);
  });

  it('changes through /Bulk, whose later operation with the old version gets 412', async () => {
    const [annTag, benTag] = await etags(ann, ben);
    const r = await s.call('POST', '/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [
        { method: 'POST', bulkId: 'g', path: '/Groups', data: { displayName: 'Finance', members: [{ value: ann }] } },
        { method: 'PATCH', path: user(ann), version: annTag, data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'x' }] } },
        { method: 'PATCH', path: user(ben), version: benTag, data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'y' }] } },
      ],
    });
    expect(r.body.Operations.map((o: { status: string }) => o.status)).toEqual(['201', '412', '200']);
    const body = await expectStale(s, user(ann), annTag);
    expect(body.title).toBeUndefined();
    expect(groupNames(body)).toEqual(['Finance']);
  });

  it('moves meta.lastModified with the groups, so an incremental `meta.lastModified gt` sync finds the user', async () => {
    const { body: g } = await s.call('POST', '/Groups', { displayName: 'Finance', members: [{ value: ann }, { value: ben }] });
    const since = h.clock.now().toISOString();
    const changedSince = async () =>
      ((await s.call('GET', `/Users?filter=${encodeURIComponent(`meta.lastModified gt "${since}"`)}&attributes=id`)).body.Resources ?? []).map((u: { id: string }) => u.id).sort();
    expect(await changedSince()).toEqual([]);
    h.clock.advance(1000);
    await patchGroup(g.id, [{ op: 'remove', path: `members[value eq "${ben}"]` }]);
    expect(await changedSince()).toEqual([ben]);
    h.clock.advance(1000);
    await patchGroup(g.id, [{ op: 'replace', path: 'displayName', value: 'Finance EMEA' }]);
    expect(await changedSince()).toEqual([ann, ben].sort());
    const annNow = (await s.call('GET', user(ann))).body.meta;
    expect(annNow.lastModified).toBe(h.clock.now().toISOString());
    expect(annNow.created < annNow.lastModified).toBe(true);
  });
});
