import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../../../test/helpers/scim.ts';
import { emptyUserFields } from '../../user.ts';
import { ENTERPRISE_USER_SCHEMA as ENT, PATCH_OP } from '../schema/urns.ts';

const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
const q = (filter: string) => encodeURIComponent(filter);

/** Entra ID clears a value by sending "": RFC 7643 §2.5 unassigned, never a stored "". */
describe('SCIM empty strings are unassigned', () => {
  let h: Harness;
  let s: ScimClient;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
  });
  afterEach(() => h.close());

  const stored = (id: string) => h.services.storage.forTenant(s.tenantId).directoryUsers.find(id);
  const count = async (filter: string) => (await s.call('GET', `/Users?filter=${q(filter)}`)).body.totalResults;
  async function rules(requestId: string | null): Promise<string[]> {
    const page = await h.json('GET', `/admin/v1/tenants/${s.tenantId}/scim/directories/${s.directoryId}/normalisations?limit=200`);
    return page.body.data.filter((r: { request_id: string }) => r.request_id === requestId).map((r: { rule: string }) => r.rule).sort();
  }
  const full = {
    userName: 'ada@acme.test',
    title: 'Engineer',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ value: 'ada@acme.test', type: 'work', primary: true }, { value: 'ada@home.test', type: 'home' }],
    [ENT]: { department: 'R&D', manager: { value: 'usr_boss', displayName: 'Charles' } },
  };

  it('POST: empty simple attributes, sub-attributes and manager values are left out, stored as unassigned, and recorded', async () => {
    const r = await s.call('POST', '/Users', {
      userName: 'ada@acme.test',
      title: '',
      name: { givenName: '', familyName: 'Lovelace' },
      emails: [{ value: '', type: 'work' }, { value: 'ada@home.test', type: 'home', display: '' }],
      [ENT]: { department: '', manager: { value: '' } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.title).toBeUndefined();
    expect(r.body.name).toEqual({ familyName: 'Lovelace' });
    expect(r.body.emails).toEqual([{ value: 'ada@home.test', type: 'home' }]);
    expect(r.body[ENT]).toBeUndefined();
    expect(r.body.schemas).not.toContain(ENT);
    expect(stored(r.body.id)).toMatchObject({ title: null, name_given_name: null, department: null, manager_id: null, manager_display_name: null });
    expect(await rules(r.res.headers.get('x-request-id'))).toContain('empty_string_unassigned');
    for (const filter of ['title pr', 'name.givenName pr', `${ENT}:manager pr`, `${ENT}:manager.value pr`]) expect(await count(filter), filter).toBe(0);
    const bare = await s.call('POST', '/Users', { userName: 'bob@acme.test', manager: '' });
    expect(bare.status).toBe(201);
    expect(bare.body[ENT]).toBeUndefined();
  });

  it('PUT: empty strings clear what was there, the manager with its display name', async () => {
    const id = (await s.call('POST', '/Users', full)).body.id;
    const put = await s.call('PUT', `/Users/${id}`, { ...full, title: '', name: { givenName: '', familyName: 'Lovelace' }, [ENT]: { department: 'R&D', manager: { value: '', displayName: 'Charles' } } });
    expect(put.status).toBe(200);
    expect(put.body.title).toBeUndefined();
    expect(put.body.name).toEqual({ familyName: 'Lovelace' });
    expect(put.body[ENT]).toEqual({ department: 'R&D' });
    expect(stored(id)).toMatchObject({ title: null, name_given_name: null, manager_id: null, manager_display_name: null });
  });

  it('PATCH: Entra\'s Replace of manager with "" and with {"value": ""} removes the manager, with no $ref left behind', async () => {
    const id = (await s.call('POST', '/Users', full)).body.id;
    const asString = await s.call('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'manager', value: '' }));
    expect(asString.status, JSON.stringify(asString.body)).toBe(200);
    expect(asString.body[ENT]).toEqual({ department: 'R&D' });
    expect(stored(id)).toMatchObject({ manager_id: null, manager_display_name: null });
    await s.call('PATCH', `/Users/${id}`, patch({ op: 'add', path: `${ENT}:manager`, value: { value: 'usr_boss', displayName: 'Charles' } }));
    const asObject = await s.call('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: `${ENT}:manager`, value: { value: '' } }));
    expect(asObject.body[ENT]).toEqual({ department: 'R&D' });
    expect(stored(id)).toMatchObject({ manager_id: null, manager_display_name: null });
    await s.call('PATCH', `/Users/${id}`, patch({ op: 'add', path: 'manager', value: 'usr_boss' }));
    const subPath = await s.call('PATCH', `/Users/${id}`, patch({ op: 'replace', path: `${ENT}:manager.value`, value: '' }));
    expect(subPath.body[ENT]).toEqual({ department: 'R&D' });
    await s.call('PATCH', `/Users/${id}`, patch({ op: 'add', path: 'manager', value: 'usr_boss' }));
    const pathless = await s.call('PATCH', `/Users/${id}?aadOptscim062020`, patch({ op: 'replace', value: { [`${ENT}:manager`]: '', [`${ENT}:department`]: '' } }));
    expect(pathless.body[ENT]).toBeUndefined();
    expect(await rules(pathless.res.headers.get('x-request-id'))).toContain('empty_string_unassigned');
    expect(await count(`${ENT}:manager pr`)).toBe(0);
    await s.call('PATCH', `/Users/${id}`, patch({ op: 'add', path: 'manager', value: 'usr_boss' }));
    const unqualified = await s.call('PATCH', `/Users/${id}`, patch({ op: 'Replace', value: { manager: '' } }));
    expect(unqualified.body[ENT]).toBeUndefined();
  });

  it('PATCH: a replace of a simple attribute or sub-attribute with "" removes it, by path and path-less', async () => {
    const id = (await s.call('POST', '/Users', full)).body.id;
    const byPath = await s.call('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'name.givenName', value: '' }, { op: 'Replace', path: 'title', value: '' }));
    expect(byPath.status).toBe(200);
    expect(byPath.body.name).toEqual({ familyName: 'Lovelace' });
    expect(byPath.body.title).toBeUndefined();
    expect(stored(id)).toMatchObject({ name_given_name: null, title: null });
    const pathless = await s.call('PATCH', `/Users/${id}`, patch({ op: 'replace', value: { name: { familyName: '' }, 'name.formatted': '' } }));
    expect(pathless.body.name).toBeUndefined();
    expect(stored(id)).toMatchObject({ name_family_name: null, name_formatted: null });
  });

  it('PATCH: "" for emails[type eq "work"].value removes the work email and creates none where there was none', async () => {
    const id = (await s.call('POST', '/Users', full)).body.id;
    const removed = await s.call('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'emails[type eq "work"].value', value: '' }));
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body.emails).toEqual([{ value: 'ada@home.test', type: 'home' }]);
    const none = await s.call('PATCH', `/Users/${id}`, patch({ op: 'Add', path: 'emails[type eq "work"].value', value: '' }));
    expect(none.status).toBe(200);
    expect(none.body.emails).toEqual([{ value: 'ada@home.test', type: 'home' }]);
    expect(none.body.meta.version).toBe(removed.body.meta.version);
  });

  it('still refuses an empty userName or group displayName (required), changing nothing', async () => {
    const id = (await s.call('POST', '/Users', full)).body.id;
    expect((await s.call('POST', '/Users', { userName: '' })).body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    expect((await s.call('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'userName', value: '' }))).status).toBe(400);
    const g = (await s.call('POST', '/Groups', { displayName: 'Sales' })).body.id;
    expect((await s.call('PATCH', `/Groups/${g}`, patch({ op: 'replace', path: 'displayName', value: '' }))).status).toBe(400);
    expect((await s.call('GET', `/Users/${id}`)).body.userName).toBe('ada@acme.test');
    expect((await s.call('GET', `/Groups/${g}`)).body.displayName).toBe('Sales');
  });

  it('answers empty strings stored before this change as unassigned (no manager, no $ref)', async () => {
    const at = h.clock.now().toISOString();
    h.services.storage.forTenant(s.tenantId).directoryUsers.insert({
      ...emptyUserFields('old@acme.test'),
      name_given_name: '',
      name_family_name: 'Old',
      manager_id: '',
      manager_display_name: 'Someone',
      id: 'usr_old',
      directory_id: s.directoryId,
      version: 1,
      created_at: at,
      updated_at: at,
    });
    const got = await s.call('GET', '/Users/usr_old');
    expect(got.body.name).toEqual({ familyName: 'Old' });
    expect(got.body[ENT]).toBeUndefined();
    expect(JSON.stringify(got.body)).not.toContain('$ref');
  });

  it('answers an email or phone number stored with an empty value before this change as absent, and the next write drops it', async () => {
    const at = h.clock.now().toISOString();
    h.services.storage.forTenant(s.tenantId).directoryUsers.insert({
      ...emptyUserFields('old@acme.test'),
      emails: [{ value: '', type: 'work', display: null, primary: true }, { value: 'old@home.test', type: 'home', display: null, primary: null }],
      phone_numbers: [{ value: '', type: 'mobile', display: null, primary: null }],
      id: 'usr_old',
      directory_id: s.directoryId,
      version: 1,
      created_at: at,
      updated_at: at,
    });
    const got = await s.call('GET', '/Users/usr_old');
    expect(got.body.emails).toEqual([{ value: 'old@home.test', type: 'home' }]);
    expect(got.body.phoneNumbers).toBeUndefined();
    expect(h.services.directory.findUserById(s.tenantId, 'usr_old')?.email).toBe('old@home.test');
    const patched = await s.call('PATCH', '/Users/usr_old', patch({ op: 'replace', path: 'title', value: 'Archivist' }));
    expect(patched.status).toBe(200);
    expect(stored('usr_old')).toMatchObject({ emails: [{ value: 'old@home.test', type: 'home' }], phone_numbers: [] });
  });
});
