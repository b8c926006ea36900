import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemActor } from '../../../audit/events.ts';
import { Harness } from '../../../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../../../test/helpers/scim.ts';
import { etagOf, expectStale, expectUnchanged } from '../../../../test/helpers/scim-etags.ts';
import { BULK_REQUEST, PATCH_OP } from '../schema/urns.ts';

/** A group's representation lists its members with their `display`: its ETag follows them. */
describe("SCIM group ETags and the members' display names", () => {
  let h: Harness;
  let s: ScimClient;
  let ann: string;
  let ben: string;
  let finance: string;
  let legal: string;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
    ann = (await s.call('POST', '/Users', { userName: 'ann@acme.test', displayName: 'Ann' })).body.id;
    ben = (await s.call('POST', '/Users', { userName: 'ben@acme.test', displayName: 'Ben' })).body.id;
    finance = (await s.call('POST', '/Groups', { displayName: 'Finance', members: [{ value: ann }, { value: ben }] })).body.id;
    legal = (await s.call('POST', '/Groups', { displayName: 'Legal', members: [{ value: ben }] })).body.id;
  });
  afterEach(() => h.close());

  const group = (id: string) => `/Groups/${id}`;
  const WITH_DISPLAY = '?attributes=members.value,members.display';
  const displays = (body: { members?: { display: string }[] }) => (body.members ?? []).map((m) => m.display).sort();
  const patchUser = (id: string, Operations: unknown[]) => s.call('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations });

  it("changes when a member's displayName is patched, not for a group the user is not in, nor for other attributes", async () => {
    const [financeTag, legalTag] = [await etagOf(s, group(finance)), await etagOf(s, group(legal))];
    h.clock.advance(60_000);
    expect((await patchUser(ann, [{ op: 'replace', path: 'displayName', value: 'Ann Smith' }])).status).toBe(200);
    const body = await expectStale(s, group(finance), financeTag, WITH_DISPLAY);
    expect(displays(body)).toEqual(['Ann Smith', 'Ben']);
    expect((await s.call('GET', group(finance))).body.meta.lastModified).toBe(h.clock.now().toISOString());
    await expectUnchanged(s, group(legal), legalTag);

    const financeNow = await etagOf(s, group(finance));
    expect((await patchUser(ann, [{ op: 'replace', path: 'title', value: 'Controller' }])).status).toBe(200);
    expect((await patchUser(ann, [{ op: 'replace', path: 'active', value: false }])).status).toBe(200);
    await expectUnchanged(s, group(finance), financeNow);
    expect(displays((await s.call('GET', `${group(finance)}${WITH_DISPLAY}`)).body)).toEqual(['Ann Smith', 'Ben']);
  });

  it("changes when a PUT of a member changes its displayName, in every group the user is in", async () => {
    const [financeTag, legalTag] = [await etagOf(s, group(finance)), await etagOf(s, group(legal))];
    const put = await s.call('PUT', `/Users/${ben}`, { userName: 'ben@acme.test', displayName: 'Benjamin' });
    expect(put.status).toBe(200);
    expect(displays(await expectStale(s, group(finance), financeTag, WITH_DISPLAY))).toEqual(['Ann', 'Benjamin']);
    expect(displays(await expectStale(s, group(legal), legalTag, WITH_DISPLAY))).toEqual(['Benjamin']);
  });

  it("changes when /Bulk renames a member, whose group's later operation with the old version gets 412", async () => {
    const legalTag = await etagOf(s, group(legal));
    const r = await s.call('POST', '/Bulk', {
      schemas: [BULK_REQUEST],
      Operations: [
        { method: 'PATCH', path: `/Users/${ben}`, data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'B. Jones' }] } },
        { method: 'PATCH', path: group(legal), version: legalTag, data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Legal & Compliance' }] } },
      ],
    });
    expect(r.body.Operations.map((o: { status: string }) => o.status)).toEqual(['200', '412']);
    const body = await expectStale(s, group(legal), legalTag, WITH_DISPLAY);
    expect(displays(body)).toEqual(['B. Jones']);
    expect((await s.call('GET', group(legal))).body.displayName).toBe('Legal');
  });

  it('changes when SCIM adopts a member created just in time, under another display name', async () => {
    const jit = h.services.storage.transaction(() =>
      h.services.directory.createUserJustInTime(
        s.tenantId,
        { user_name: 'cat@acme.test', email: 'cat@acme.test', external_id: null, given_name: null, family_name: null, display_name: 'cat', directory_id: s.directoryId },
        systemActor(),
      ),
    );
    expect((await s.call('PATCH', group(legal), { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: jit.id }] }] })).status).toBe(204);
    const [financeTag, legalTag] = [await etagOf(s, group(finance)), await etagOf(s, group(legal))];
    const adopted = await s.call('POST', '/Users', { userName: 'cat@acme.test', displayName: 'Cat Jones' });
    expect(adopted.status).toBe(201);
    expect(adopted.body.id).toBe(jit.id);
    expect(displays(await expectStale(s, group(legal), legalTag, WITH_DISPLAY))).toEqual(['Ben', 'Cat Jones']);
    await expectUnchanged(s, group(finance), financeTag);
  });

  it('changes when a member is deleted (it leaves the members), not for a group the user was not in', async () => {
    const [financeTag, legalTag] = [await etagOf(s, group(finance)), await etagOf(s, group(legal))];
    expect((await s.call('DELETE', `/Users/${ann}`)).status).toBe(204);
    expect(displays(await expectStale(s, group(finance), financeTag, WITH_DISPLAY))).toEqual(['Ben']);
    await expectUnchanged(s, group(legal), legalTag);
  });
});
