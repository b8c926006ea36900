import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../../../test/helpers/scim.ts';
import { Normalisations } from '../dialects.ts';
import { USER_RESOURCE } from '../schema/registry.ts';
import { ENTERPRISE_USER_SCHEMA } from '../schema/urns.ts';
import { parseFilter } from './parse.ts';
import { filterToSql } from './to-sql.ts';

const people = [
  { userName: 'ada@acme.test', displayName: 'Ada Lovelace', title: 'Engineer', active: true, emails: [{ value: 'Ada@Acme.test', type: 'work', primary: true }, { value: 'ada@home.test', type: 'home' }], externalId: 'EXT-ada', dept: 'R&D' },
  { userName: 'bob@acme.test', displayName: 'Bob Builder', title: 'Manager', active: false, emails: [{ value: 'bob@acme.test', type: 'work' }], externalId: 'ext-bob', dept: 'Sales' },
  { userName: 'carol@other.test', displayName: 'Carol 100%_sure', title: null, active: true, emails: [], externalId: null, dept: 'R&D' },
];

describe('SCIM filters (translated to SQL)', () => {
  let h: Harness;
  let s: ScimClient;
  beforeAll(async () => {
    h = new Harness();
    s = await scimClient(h);
    for (const p of people) {
      const r = await s.call('POST', '/Users', {
        userName: p.userName,
        displayName: p.displayName,
        ...(p.title ? { title: p.title } : {}),
        active: p.active,
        emails: p.emails,
        ...(p.externalId ? { externalId: p.externalId } : {}),
        [ENTERPRISE_USER_SCHEMA]: { department: p.dept },
      });
      expect(r.status).toBe(201);
    }
  });
  afterAll(() => h.close());

  const names = async (filter: string) => {
    const r = await s.call('GET', `/Users?filter=${encodeURIComponent(filter)}&sortBy=userName`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.Resources.map((u: { userName: string }) => u.userName.split('@')[0]);
  };

  it.each([
    ['userName eq "ADA@ACME.TEST"', ['ada']],
    ['userName ne "ada@acme.test"', ['bob', 'carol']],
    ['displayName co "build"', ['bob']],
    ['userName sw "C"', ['carol']],
    ['userName ew "ACME.TEST"', ['ada', 'bob']],
    ['title pr', ['ada', 'bob']],
    ['userName gt "b"', ['bob', 'carol']],
    ['userName ge "bob@acme.test"', ['bob', 'carol']],
    ['userName lt "bob@acme.test"', ['ada']],
    ['userName le "bob@acme.test"', ['ada', 'bob']],
    ['active eq true', ['ada', 'carol']],
    ['active eq false and title eq "manager"', ['bob']],
    ['title eq "engineer" or title eq "MANAGER"', ['ada', 'bob']],
    ['not (title pr)', ['carol']],
    ['not (userName sw "a") and (active eq true or title pr)', ['bob', 'carol']],
    ['emails[type eq "work" and value co "@ACME"]', ['ada', 'bob']],
    ['emails[type eq "home"]', ['ada']],
    ['emails.value eq "ada@home.test"', ['ada']],
    ['emails eq "BOB@acme.test"', ['bob']],
    ['emails[type eq "work"].value eq "ada@acme.test"', ['ada']],
    ['emails[type eq "work"].value eq "ada@home.test"', []],
    ['emails pr', ['ada', 'bob']],
    ['displayName co "100%_"', ['carol']],
    ['displayName co "%"', ['carol']],
    [`${ENTERPRISE_USER_SCHEMA}:department eq "r&d"`, ['ada', 'carol']],
    ['meta.created ge "2020-01-01T00:00:00Z"', ['ada', 'bob', 'carol']],
    ['meta.lastModified lt "2020-01-01T00:00:00+01:00"', []],
  ])('%s', async (filter, expected) => {
    expect(await names(filter)).toEqual(expected);
  });

  it('compares caseExact attributes (externalId, id) case-sensitively', async () => {
    expect(await names('externalId eq "EXT-ada"')).toEqual(['ada']);
    expect(await names('externalId eq "ext-ada"')).toEqual([]);
    expect(await names('externalId sw "ext"')).toEqual(['bob']);
  });

  it('accepts Entra\'s legacy unquoted comparison value and records it', async () => {
    expect(await names('externalId eq ext-bob')).toEqual(['bob']);
    const n = await h.json('GET', `/admin/v1/tenants/${s.tenantId}/scim/directories/${s.directoryId}/normalisations`);
    expect(n.body.data.map((r: { rule: string }) => r.rule)).toContain('unquoted_filter_value');
  });

  it.each([
    ['userName eq', 'syntax'],
    ['userName xx "a"', 'unknown operator'],
    ['shoeSize eq "9"', 'unknown attribute'],
    ['emails[shoe eq "x"]', 'unknown sub-attribute'],
    ['active gt true', 'ordering a boolean'],
    ['active eq "maybe"', 'non-boolean value'],
    ['meta.created gt "yesterday"', 'not a dateTime'],
    ['((userName eq "a")', 'unbalanced'],
  ])('answers 400 invalidFilter for %s (%s)', async (filter) => {
    const r = await s.call('GET', `/Users?filter=${encodeURIComponent(filter)}`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ status: '400', scimType: 'invalidFilter' });
  });

  it('translates without scanning in memory: one parameterised statement, folded or NOCASE where caseExact is false', () => {
    const sql = filterToSql(parseFilter('userName eq "Élise" and externalId eq "B" and title eq "C"', new Normalisations(undefined)), USER_RESOURCE, 'ten_1');
    expect(sql.sql).toContain('u.id IN (SELECT f1.id FROM directory_users f1 WHERE f1.tenant_id = ? AND f1.deleted_at IS NULL AND (f1.user_name_folded = ? COLLATE BINARY))');
    expect(sql.sql).toContain('u.external_id = ? COLLATE BINARY');
    expect(sql.sql).toContain('u.title = ? COLLATE NOCASE');
    expect(sql.params).toEqual(['ten_1', 'élise', 'B', 'C']);
    // Ordering has no folded form: it stays NOCASE on the value itself.
    expect(filterToSql(parseFilter('userName gt "É"', new Normalisations(undefined)), USER_RESOURCE, 'ten_1')).toEqual({ sql: 'u.user_name > ? COLLATE NOCASE', params: ['É'] });
    const since = filterToSql(parseFilter('meta.lastModified gt "2026-01-01T00:00:00+01:00"', new Normalisations(undefined)), USER_RESOURCE, 'ten_1');
    expect(since).toEqual({ sql: 'u.updated_at > ? COLLATE BINARY', params: ['2025-12-31T23:00:00.000Z'] });
  });

  it('filters users by the groups they belong to, by group name or id', async () => {
    const ids = await s.call('GET', '/Users?sortBy=userName&attributes=id');
    const [ada, , carol] = ids.body.Resources.map((u: { id: string }) => u.id);
    const g = await s.call('POST', '/Groups', { displayName: 'Auditors', members: [{ value: ada }, { value: carol }] });
    expect(g.status).toBe(201);
    // A group of the same name in another tenant must not match.
    const other = await scimClient(h, 'Other');
    const stranger = await other.call('POST', '/Users', { userName: 'stranger@x.test' });
    expect((await other.call('POST', '/Groups', { displayName: 'Auditors', members: [{ value: stranger.body.id }] })).status).toBe(201);
    expect(await names('groups[display eq "AUDITORS"]')).toEqual(['ada', 'carol']);
    expect(await names(`groups.value eq "${g.body.id}" and userName sw "c"`)).toEqual(['carol']);
    // groups.value is caseExact=false in RFC 7643's User schema.
    expect(await names(`groups.value eq "${g.body.id.toLowerCase()}"`)).toEqual(['ada', 'carol']);
    expect(await names('groups[display eq "Nobody"]')).toEqual([]);
    expect((await s.call('DELETE', `/Groups/${g.body.id}`)).status).toBe(204);
  });

  it('totals every match whether the page is full, short, or past the end', async () => {
    const full = await s.call('GET', `/Users?filter=${encodeURIComponent('userName co "@"')}&count=2`);
    expect(full.body).toMatchObject({ totalResults: 3, startIndex: 1, itemsPerPage: 2 });
    const short = await s.call('GET', `/Users?filter=${encodeURIComponent('userName co "@"')}&startIndex=3&count=2`);
    expect(short.body).toMatchObject({ totalResults: 3, startIndex: 3, itemsPerPage: 1 });
    const past = await s.call('GET', `/Users?filter=${encodeURIComponent('userName co "@"')}&startIndex=7&count=2`);
    expect(past.body).toMatchObject({ totalResults: 3, startIndex: 7, itemsPerPage: 0, Resources: [] });
    const none = await s.call('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody"')}`);
    expect(none.body).toMatchObject({ totalResults: 0, itemsPerPage: 0 });
  });

  it('pages with startIndex/count, caps count, sorts either way and totals all matches', async () => {
    const page = await s.call('GET', '/Users?startIndex=2&count=1&sortBy=displayName&sortOrder=descending');
    expect(page.body).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect(page.body.Resources[0].displayName).toBe('Bob Builder');
    const big = await s.call('GET', '/Users?count=100000');
    expect(big.body.itemsPerPage).toBe(3);
    const zero = await s.call('GET', '/Users?count=0');
    expect(zero.body).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
    const bad = await s.call('GET', '/Users?count=abc');
    expect(bad.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    const byEmail = await s.call('GET', '/Users?sortBy=emails&sortOrder=ascending');
    expect(byEmail.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(['carol@other.test', 'ada@acme.test', 'bob@acme.test']);
  });
});

describe('SCIM filters on userName and emails.value (caseExact=false) outside ASCII', () => {
  let h: Harness;
  let s: ScimClient;
  beforeAll(async () => {
    h = new Harness();
    s = await scimClient(h);
    for (const [userName, email] of [
      ['Élise', 'Élise@Bank.test'],
      ['straße', 'straße@bank.test'],
      ['ΟΔΥΣΣΕΥΣ', 'ΟΔΥΣΣΕΥΣ@bank.test'],
      ['Ada', 'ADA@acme.test'],
    ]) {
      expect((await s.call('POST', '/Users', { userName, emails: [{ value: email, type: 'work' }] })).status).toBe(201);
    }
  });
  afterAll(() => h.close());

  const names = async (filter: string) => {
    const r = await s.call('GET', `/Users?filter=${encodeURIComponent(filter)}&sortBy=userName`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.Resources.map((u: { userName: string }) => u.userName);
  };

  it.each([
    ['userName eq "élise"', ['Élise']],
    ['userName eq "éLISE"', ['Élise']],
    ['userName eq "e\u0301LISE"', ['Élise']],
    ['userName eq "οδυσσευς"', ['ΟΔΥΣΣΕΥΣ']],
    ['userName eq "STRAẞE"', ['straße']],
    ['userName ne "élise"', ['Ada', 'straße', 'ΟΔΥΣΣΕΥΣ']],
    ['not (userName eq "élise")', ['Ada', 'straße', 'ΟΔΥΣΣΕΥΣ']],
    ['userName sw "él"', ['Élise']],
    ['userName co "δυσ"', ['ΟΔΥΣΣΕΥΣ']],
    ['userName ew "σευς"', ['ΟΔΥΣΣΕΥΣ']],
    ['emails.value eq "élise@bank.test"', ['Élise']],
    ['emails eq "éLISE@BANK.TEST"', ['Élise']],
    ['emails[type eq "work"].value eq "élise@bank.test"', ['Élise']],
    ['emails[type eq "home"].value eq "élise@bank.test"', []],
    ['emails[value eq "élise@bank.test"]', ['Élise']],
    ['emails[type eq "work" and value co "élise@"]', ['Élise']],
    ['emails.value sw "οδυσ"', ['ΟΔΥΣΣΕΥΣ']],
    ['emails.value ne "élise@bank.test"', ['Ada', 'straße', 'ΟΔΥΣΣΕΥΣ']],
  ])('%s', async (filter, expected) => {
    expect(await names(filter)).toEqual(expected);
  });

  it('keeps ASCII matching as it was: any letter case, and LIKE wildcards in co/sw/ew taken literally', async () => {
    expect(await names('userName eq "aDa"')).toEqual(['Ada']);
    expect(await names('emails.value eq "ada@ACME.test"')).toEqual(['Ada']);
    expect(await names('userName co "a%"')).toEqual([]);
    expect(await names('userName sw "_da"')).toEqual([]);
    expect(await names('userName ew "D_"')).toEqual([]);
  });

  it('keeps ß and ss apart (lowercasing, not full case folding)', async () => {
    expect(await names('userName eq "strasse"')).toEqual([]);
    expect(await names('userName eq "STRASSE"')).toEqual([]);
    expect(await names('emails.value eq "strasse@bank.test"')).toEqual([]);
    expect(await names('userName sw "strass"')).toEqual([]);
  });

  it('seeks the folded indexes for userName eq and emails.value eq (every spelling), in the page and in the count', () => {
    const db = h.services.storage.sql.raw;
    // The statements the user store runs (src/directory/sqlite-users.ts list/count) around the filter.
    const plan = (filter: string) => {
      const w = filterToSql(parseFilter(filter, new Normalisations(undefined)), USER_RESOURCE, s.tenantId);
      const where = `u.tenant_id = ? AND u.directory_id = ? AND u.deleted_at IS NULL AND (${w.sql})`;
      const explain = (sql: string, ...extra: unknown[]) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(s.tenantId, s.directoryId, ...w.params, ...extra) as { detail: string }[]).map((r) => r.detail).join(' | ');
      return [explain(`SELECT u.* FROM directory_users u WHERE ${where} ORDER BY u.id LIMIT ? OFFSET ?`, 100, 0), explain(`SELECT count(*) AS n FROM directory_users u WHERE ${where}`)];
    };
    for (const p of plan('userName eq "élise"')) expect(p).toContain('USING INDEX directory_users_by_folded_user_name (tenant_id=? AND user_name_folded=?)');
    for (const f of ['emails.value eq "élise@bank.test"', 'emails eq "élise@bank.test"', 'emails[type eq "work"].value eq "élise@bank.test"', 'emails[value eq "élise@bank.test"]']) {
      // By the folded value, or (with a type) by type and folded value (migration 0016).
      for (const p of plan(f)) expect(p, f).toMatch(/USING (COVERING )?INDEX directory_user_emails_by_(folded_value \(tenant_id=\? AND|type_folded \(tenant_id=\? AND type=\? AND) value_folded=\?\)/);
    }
  });
});
