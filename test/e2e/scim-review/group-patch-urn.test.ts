import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { scimClient, type ScimClient } from '../../helpers/scim.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const MEMBERS = 'urn:ietf:params:scim:schemas:core:2.0:Group:members';
const patch = (...ops: unknown[]) => ({ schemas: [PATCH_OP], Operations: ops });

describe('SCIM group PATCH with a path-less value keyed by the URN-qualified members', () => {
  let h: Harness;
  let s: ScimClient;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
  });
  afterEach(() => h.close());

  const memberIds = async (group: string) =>
    (((await s.call('GET', `/Groups/${group}`)).body.members ?? []) as { value: string }[]).map((m) => m.value).sort();

  it('adds and replaces members, as the short key does, instead of answering 204 and changing nothing', async () => {
    const ada = (await s.call('POST', '/Users', { userName: 'ada@acme.test' })).body.id;
    const bob = (await s.call('POST', '/Users', { userName: 'bob@acme.test' })).body.id;
    const group = (await s.call('POST', '/Groups', { displayName: 'Eng', members: [{ value: ada }] })).body.id;

    const added = await s.call('PATCH', `/Groups/${group}`, patch({ op: 'add', value: { [MEMBERS]: [{ value: bob }] } }));
    expect(added.status).toBe(204);
    expect(await memberIds(group)).toEqual([ada, bob].sort());
    expect(added.res.headers.get('etag')).toBe('W/"2"');

    const replaced = await s.call('PATCH', `/Groups/${group}`, patch({ op: 'replace', value: { [MEMBERS]: [{ value: bob }] } }));
    expect(replaced.status).toBe(204);
    expect(await memberIds(group)).toEqual([bob]);
  });

  it('still refuses an unknown member under the URN key (400, nothing changed)', async () => {
    const group = (await s.call('POST', '/Groups', { displayName: 'Eng' })).body.id;
    const r = await s.call('PATCH', `/Groups/${group}`, patch({ op: 'add', value: { [MEMBERS]: [{ value: 'usr_nobody' }] } }));
    expect(r.status).toBe(400);
    expect(r.body.scimType).toBe('invalidValue');
    expect(await memberIds(group)).toEqual([]);
  });

  it('counts the member values under the URN key against the per-request cap', async () => {
    const group = (await s.call('POST', '/Groups', { displayName: 'Eng' })).body.id;
    const many = Array.from({ length: 10_001 }, (_, i) => ({ value: `usr_${i}` }));
    const r = await s.call('PATCH', `/Groups/${group}`, patch({ op: 'add', value: { [MEMBERS]: many } }));
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/at most 10000/);
  });
});
