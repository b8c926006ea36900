import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../../../test/helpers/scim.ts';
import { emptyUserFields } from '../../user.ts';
import { SCIM_LIMITS } from '../limits.ts';
import { ENTERPRISE_USER_SCHEMA as ENT, PATCH_OP } from '../schema/urns.ts';

const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
const emails = (n: number, prefix = 'e') => Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}@acme.test`, type: 'work' }));

describe('SCIM size limits below the body limit', () => {
  let h: Harness;
  let s: ScimClient;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
  });
  afterEach(() => h.close());

  const expectLimit = (r: { status: number; body: any }, attribute: string, limit: number) => {
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    expect(r.body.detail).toContain(`'${attribute}'`);
    expect(r.body.detail).toContain(`at most ${limit}`);
  };
  const userState = async (id: string) => (await s.call('GET', `/Users/${id}`)).body;
  const userCount = async () => (await s.call('GET', '/Users?count=0')).body.totalResults;

  it('states the limits as constants below the 1 MiB body limit', () => {
    expect(SCIM_LIMITS).toMatchObject({ maxStringLength: 1024, maxReferenceLength: 2048, maxValuesPerAttribute: 100, maxMembersPerRequest: 10_000 });
    expect(SCIM_LIMITS.maxStringLength).toBeLessThan(SCIM_LIMITS.maxPayloadSize);
  });

  it('accepts a string of exactly 1024 characters (counted as characters, not UTF-16 units) and refuses 1025 on POST, creating nothing', async () => {
    const emoji = '\u{1F600}'.repeat(1024);
    const ok = await s.call('POST', '/Users', { userName: 'a@acme.test', title: 't'.repeat(1024), nickName: emoji });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.nickName).toBe(emoji);
    expectLimit(await s.call('POST', '/Users', { userName: 'b@acme.test', title: 't'.repeat(1025) }), 'title', 1024);
    expectLimit(await s.call('POST', '/Users', { userName: 'b@acme.test', name: { givenName: 'g'.repeat(1025) } }), 'name.givenName', 1024);
    expectLimit(await s.call('POST', '/Users', { userName: 'b@acme.test', emails: [{ value: `${'x'.repeat(1020)}@acme.test` }] }), 'emails.value', 1024);
    expect(await userCount()).toBe(1);
  });

  it('holds enterprise extension attributes to the same limit on POST, PUT and PATCH', async () => {
    const long = 'd'.repeat(1025);
    const department = `${ENT}:department`;
    expectLimit(await s.call('POST', '/Users', { userName: 'a@acme.test', [ENT]: { department: long } }), department, 1024);
    const id = (await s.call('POST', '/Users', { userName: 'a@acme.test', [ENT]: { department: 'R&D' } })).body.id;
    const before = await userState(id);
    expectLimit(await s.call('PUT', `/Users/${id}`, { userName: 'a@acme.test', [ENT]: { department: long } }), department, 1024);
    expectLimit(await s.call('PATCH', `/Users/${id}`, patch({ op: 'replace', path: department, value: long })), department, 1024);
    expectLimit(await s.call('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'manager', value: { value: 'm'.repeat(1025) } })), `${ENT}:manager.value`, 1024);
    expectLimit(await s.call('PATCH', `/Users/${id}?aadOptscim062020`, patch({ op: 'replace', value: { [department]: long } })), department, 1024);
    expect(await userState(id)).toEqual(before);
  });

  it('allows references (profileUrl) up to 2048 characters', async () => {
    const url = (n: number) => `https://acme.test/${'p'.repeat(n - 'https://acme.test/'.length)}`;
    expect((await s.call('POST', '/Users', { userName: 'a@acme.test', profileUrl: url(2048) })).status).toBe(201);
    expectLimit(await s.call('POST', '/Users', { userName: 'b@acme.test', profileUrl: url(2049) }), 'profileUrl', 2048);
  });

  it('refuses more than 100 emails, phone numbers or addresses on POST and PUT, changing nothing', async () => {
    const values = {
      emails: emails(101),
      phoneNumbers: Array.from({ length: 101 }, (_, i) => ({ value: `+1 555 ${i}`, type: 'work' })),
      addresses: Array.from({ length: 101 }, (_, i) => ({ locality: `City ${i}`, type: 'work' })),
    };
    const id = (await s.call('POST', '/Users', { userName: 'a@acme.test', emails: emails(100) })).body.id;
    const before = await userState(id);
    expect(before.emails).toHaveLength(100);
    for (const [attribute, list] of Object.entries(values)) {
      expectLimit(await s.call('POST', '/Users', { userName: 'b@acme.test', [attribute]: list }), attribute, 100);
      expectLimit(await s.call('PUT', `/Users/${id}`, { userName: 'a@acme.test', [attribute]: list }), attribute, 100);
    }
    expect(await userCount()).toBe(1);
    expect(await userState(id)).toEqual(before);
  });

  it('checks the result of a PATCH: adding 60 emails twice hits the cap on the second request, which changes nothing', async () => {
    const id = (await s.call('POST', '/Users', { userName: 'a@acme.test' })).body.id;
    const first = await s.call('PATCH', `/Users/${id}`, patch({ op: 'add', path: 'emails', value: emails(60, 'first') }));
    expect(first.status).toBe(200);
    expect(first.body.emails).toHaveLength(60);
    const second = await s.call('PATCH', `/Users/${id}`, patch({ op: 'add', path: 'emails', value: emails(60, 'second') }));
    expectLimit(second, 'emails', 100);
    expect(second.body.detail).toContain('120');
    const after = await userState(id);
    expect(after.emails).toEqual(first.body.emails);
    expect(after.meta.version).toBe(first.body.meta.version);
    const pathless = await s.call('PATCH', `/Users/${id}`, patch({ op: 'add', value: { emails: emails(41, 'third') } }));
    expectLimit(pathless, 'emails', 100);
    expect((await userState(id)).meta.version).toBe(first.body.meta.version);
  });

  it('lets a user stored over a limit before it existed be patched elsewhere, and refuses changes that keep that attribute over it', async () => {
    const users = h.services.storage.forTenant(s.tenantId).directoryUsers;
    const at = h.clock.now().toISOString();
    const legacy = emails(150, 'legacy').map((e) => ({ ...e, display: null, primary: null }));
    users.insert({ ...emptyUserFields('legacy@acme.test'), emails: legacy, id: 'usr_legacy', directory_id: s.directoryId, version: 1, created_at: at, updated_at: at });
    const title = await s.call('PATCH', '/Users/usr_legacy', patch({ op: 'replace', path: 'title', value: 'Archivist' }));
    expect(title.status, JSON.stringify(title.body)).toBe(200);
    expect(title.body.emails).toHaveLength(150);
    expectLimit(await s.call('PATCH', '/Users/usr_legacy', patch({ op: 'remove', path: 'emails[value eq "legacy0@acme.test"]' })), 'emails', 100);
    const trimmed = await s.call('PATCH', '/Users/usr_legacy', patch({ op: 'replace', path: 'emails', value: emails(3, 'kept') }));
    expect(trimmed.status).toBe(200);
    expect(trimmed.body.emails).toHaveLength(3);
  });

  it('holds group displayName and externalId to their limits on POST, PUT and PATCH', async () => {
    expectLimit(await s.call('POST', '/Groups', { displayName: 'g'.repeat(257) }), 'displayName', 256);
    expectLimit(await s.call('POST', '/Groups', { displayName: 'Sales', externalId: 'x'.repeat(1025) }), 'externalId', 1024);
    const g = (await s.call('POST', '/Groups', { displayName: 'Sales' })).body.id;
    expectLimit(await s.call('PUT', `/Groups/${g}`, { displayName: 'Sales', externalId: 'x'.repeat(1025) }), 'externalId', 1024);
    expectLimit(await s.call('PATCH', `/Groups/${g}`, patch({ op: 'replace', path: 'externalId', value: 'x'.repeat(1025) })), 'externalId', 1024);
    expect((await s.call('GET', `/Groups/${g}`)).body).toMatchObject({ displayName: 'Sales', meta: { version: 'W/"1"' } });
    expect((await s.call('GET', `/Groups/${g}`)).body.externalId).toBeUndefined();
  });

  it('refuses more than 10 000 member values in one group request (POST, PUT, PATCH, counted across operations), changing nothing', async () => {
    const member = (i: number) => ({ value: `usr_${i}` });
    const many = (n: number, from = 0) => Array.from({ length: n }, (_, i) => member(from + i));
    expectLimit(await s.call('POST', '/Groups', { displayName: 'Big', members: many(10_001) }), 'members', 10_000);
    const g = (await s.call('POST', '/Groups', { displayName: 'Big' })).body.id;
    expectLimit(await s.call('PUT', `/Groups/${g}`, { displayName: 'Big', members: many(10_001) }), 'members', 10_000);
    expectLimit(await s.call('PATCH', `/Groups/${g}`, patch({ op: 'add', path: 'members', value: many(10_001) })), 'members', 10_000);
    const split = patch({ op: 'add', path: 'members', value: many(6_000) }, { op: 'add', value: { members: many(4_001, 6_000) } });
    expectLimit(await s.call('PATCH', `/Groups/${g}`, split), 'members', 10_000);
    expect((await s.call('GET', `/Groups?count=0`)).body.totalResults).toBe(1);
    expect((await s.call('GET', `/Groups/${g}`)).body).toMatchObject({ displayName: 'Big', meta: { version: 'W/"1"' } });
  });
});
