import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../../../test/helpers/scim.ts';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from '../schema/urns.ts';

const ada = {
  schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
  userName: 'ada@acme.test',
  externalId: 'ext-1',
  name: { givenName: 'Ada', familyName: 'Lovelace', honorificPrefix: 'Ms.' },
  displayName: 'Ada Lovelace',
  title: 'Engineer',
  active: true,
  emails: [{ value: 'ada@acme.test', type: 'work', primary: true }],
  phoneNumbers: [{ value: '+44 20 7946 0000', type: 'mobile' }],
  addresses: [{ type: 'work', streetAddress: '1 Analytical Way', locality: 'London', country: 'GB', primary: true }],
  [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '1815', department: 'R&D', costCenter: 'CC-1', manager: { value: 'usr_m', displayName: 'Charles' } },
};

describe('SCIM /Users', () => {
  let h: Harness;
  let s: ScimClient;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
  });
  afterEach(() => h.close());

  it('creates a user with core and enterprise attributes and returns it with meta, ETag and Location', async () => {
    const r = await s.call('POST', '/Users', ada);
    expect(r.status).toBe(201);
    expect(r.res.headers.get('content-type')).toBe('application/scim+json');
    expect(r.body).toMatchObject({ ...ada, [ENTERPRISE_USER_SCHEMA]: { ...ada[ENTERPRISE_USER_SCHEMA], manager: { value: 'usr_m', displayName: 'Charles', $ref: expect.stringMatching(/\/Users\/usr_m$/) } } });
    expect(r.body.meta).toMatchObject({ resourceType: 'User', version: 'W/"1"', location: `http://127.0.0.1:8080${s.base}/Users/${r.body.id}` });
    expect(r.res.headers.get('etag')).toBe('W/"1"');
    expect(r.res.headers.get('location')).toBe(r.body.meta.location);
    const got = await s.call('GET', `/Users/${r.body.id}`);
    expect(got.body).toEqual(r.body);
  });

  it('answers 409 uniqueness for a userName taken in any letter case, creating nothing', async () => {
    await s.call('POST', '/Users', ada);
    const dup = await s.call('POST', '/Users', { ...ada, userName: 'ADA@acme.test' });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness' });
    expect((await s.call('GET', '/Users')).body.totalResults).toBe(1);
  });

  it('finds a user pushed as Élise by the filters an IdP looks it up with before creating (userName eq, emails.value eq) in any letter case, keeping ß and ss apart', async () => {
    const elise = await s.call('POST', '/Users', { ...ada, userName: 'Élise@Acme.test', externalId: 'ext-e', emails: [{ value: 'Élise@Acme.test', type: 'work', primary: true }] });
    expect(elise.status).toBe(201);
    const strasse = await s.call('POST', '/Users', { ...ada, userName: 'straße@acme.test', externalId: 'ext-s', emails: [{ value: 'straße@acme.test', type: 'work' }] });
    expect(strasse.status).toBe(201);
    expect((await s.call('POST', '/Users', { ...ada, externalId: 'ext-a' })).status).toBe(201);
    const found = async (filter: string) => {
      const r = await s.call('GET', `/Users?filter=${encodeURIComponent(filter)}`);
      expect(r.status).toBe(200);
      expect(r.body.totalResults).toBe(r.body.Resources.length);
      return r.body.Resources.map((u: { id: string }) => u.id);
    };
    expect(await found('userName eq "élise@acme.test"')).toEqual([elise.body.id]);
    expect(await found('emails.value eq "élise@acme.test"')).toEqual([elise.body.id]);
    expect(await found('emails[type eq "work"].value eq "ÉLISE@ACME.TEST"')).toEqual([elise.body.id]);
    // Entra's lookup by the work email, then its POST: the user it did not find would be a 409.
    expect((await s.call('POST', '/Users', { ...ada, userName: 'élise@acme.test' })).body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    expect(await found('userName eq "STRASSE@acme.test"')).toEqual([]);
    expect(await found('emails.value eq "strasse@acme.test"')).toEqual([]);
    expect(await found('userName eq "STRAßE@ACME.TEST"')).toEqual([strasse.body.id]);
    expect(await found('userName eq "ADA@Acme.Test"')).toHaveLength(1);
    expect(await found('emails.value eq "Ada@ACME.test"')).toHaveLength(1);
  });

  it('replaces with PUT (Okta), keeping active when the body leaves it out', async () => {
    const { body: created } = await s.call('POST', '/Users', ada);
    const put = await s.call('PUT', `/Users/${created.id}`, { schemas: [USER_SCHEMA], id: created.id, userName: 'ada@acme.test', name: { givenName: 'Augusta' }, meta: { resourceType: 'User' } });
    expect(put.status).toBe(200);
    expect(put.body.name).toEqual({ givenName: 'Augusta' });
    expect(put.body.emails).toBeUndefined();
    expect(put.body[ENTERPRISE_USER_SCHEMA]).toBeUndefined();
    expect(put.body.active).toBe(true);
    expect(put.body.meta.version).toBe('W/"2"');
  });

  it('honours If-Match (412 on a stale version, nothing changed) and If-None-Match (304)', async () => {
    const { body: created } = await s.call('POST', '/Users', ada);
    const stale = await s.call('PATCH', `/Users/${created.id}`, { Operations: [{ op: 'replace', path: 'title', value: 'x' }] }, { 'if-match': 'W/"7"' });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ status: '412' });
    const fresh = await s.call('PATCH', `/Users/${created.id}`, { Operations: [{ op: 'replace', path: 'title', value: 'x' }] }, { 'if-match': 'W/"1"' });
    expect(fresh.status).toBe(200);
    expect(fresh.body.title).toBe('x');
    const cached = await s.call('GET', `/Users/${created.id}`, undefined, { 'if-none-match': 'W/"2"' });
    expect(cached.status).toBe(304);
    const del = await s.call('DELETE', `/Users/${created.id}`, undefined, { 'if-match': '"1"' });
    expect(del.status).toBe(412);
  });

  it('does not bump the version or audit when a PUT changes nothing', async () => {
    const { body: created } = await s.call('POST', '/Users', ada);
    const { id: _id, meta: _meta, ...same } = created;
    const put = await s.call('PUT', `/Users/${created.id}`, same);
    expect(put.body.meta.version).toBe('W/"1"');
    expect(h.services.audit.list(s.tenantId, { action: 'directory.user.updated' }, undefined, 10).data).toHaveLength(0);
  });

  it('deletes a user: 204, then 404 in the SCIM error schema', async () => {
    const { body: created } = await s.call('POST', '/Users', ada);
    expect((await s.call('DELETE', `/Users/${created.id}`)).status).toBe(204);
    const gone = await s.call('GET', `/Users/${created.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
    expect((await s.call('DELETE', `/Users/${created.id}`)).status).toBe(404);
  });

  it('projects attributes and excludedAttributes, always returning id and schemas', async () => {
    const { body: created } = await s.call('POST', '/Users', ada);
    const only = await s.call('GET', `/Users/${created.id}?attributes=userName,name.givenName,${ENTERPRISE_USER_SCHEMA}:department`);
    expect(only.body).toEqual({
      schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
      id: created.id,
      userName: 'ada@acme.test',
      name: { givenName: 'Ada' },
      [ENTERPRISE_USER_SCHEMA]: { department: 'R&D' },
    });
    const without = await s.call('GET', `/Users/${created.id}?excludedAttributes=emails,name,${ENTERPRISE_USER_SCHEMA}`);
    expect(without.body.emails).toBeUndefined();
    expect(without.body.name).toBeUndefined();
    expect(without.body[ENTERPRISE_USER_SCHEMA]).toBeUndefined();
    expect(without.body.schemas).toEqual([USER_SCHEMA]);
    expect(without.body.userName).toBe('ada@acme.test');
  });

  it('adopts a user created just in time by SSO when the IdP pushes the same userName', async () => {
    const jit = h.services.directory.createUserJustInTime(s.tenantId, { user_name: 'ada@acme.test', email: 'ada@acme.test', external_id: null, given_name: null, family_name: null, display_name: null }, { type: 'system', id: null, credential_id: null, ip: null, user_agent: null, request_id: null });
    const r = await s.call('POST', '/Users', ada);
    expect(r.status).toBe(201);
    expect(r.body.id).toBe(jit.id);
    expect(r.body.displayName).toBe('Ada Lovelace');
  });

  it('adopts a just-in-time user whose userName differs only in letter case outside ASCII, and refuses (409) another user so named, also by a rename', async () => {
    const system = { type: 'system' as const, id: null, credential_id: null, ip: null, user_agent: null, request_id: null };
    const jit = h.services.directory.createUserJustInTime(s.tenantId, { user_name: 'élise@acme.test', email: 'élise@acme.test', external_id: null, given_name: null, family_name: null, display_name: null }, system);
    const adopted = await s.call('POST', '/Users', { ...ada, userName: 'Élise@Acme.test', emails: [{ value: 'Élise@Acme.test', primary: true }] });
    expect(adopted).toMatchObject({ status: 201, body: { id: jit.id, userName: 'Élise@Acme.test' } });
    expect((await s.call('POST', '/Users', { ...ada, userName: 'E\u0301LISE@ACME.TEST' })).body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    const zoe = await s.call('POST', '/Users', { ...ada, userName: 'zoë@acme.test', emails: [] });
    expect(zoe.status).toBe(201);
    const rename = await s.call('PATCH', `/Users/${zoe.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'userName', value: 'ÉLISE@acme.test' }] });
    expect(rename.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    expect((await s.call('PATCH', `/Users/${zoe.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'userName', value: 'ZOË@acme.test' }] })).status).toBe(200);
    expect(h.services.directory.findUserByEmail(s.tenantId, 'ÉLISE@ACME.TEST')?.id).toBe(jit.id);
  });

  it("adopts a user created just in time into this very directory (by a connection bound to it), sees it in its listing, and once written by SCIM no longer adopts it", async () => {
    const system = { type: 'system' as const, id: null, credential_id: null, ip: null, user_agent: null, request_id: null };
    const jit = (userName: string, directory_id: string) =>
      h.services.directory.createUserJustInTime(s.tenantId, { user_name: userName, email: userName, external_id: null, given_name: null, family_name: null, display_name: null, directory_id }, system);
    const mine = jit('ada@acme.test', s.directoryId);
    const listed = await s.call('GET', `/Users?filter=${encodeURIComponent('userName eq "ada@acme.test"')}`);
    expect(listed.body.Resources.map((u: { id: string }) => u.id)).toEqual([mine.id]);
    const adopted = await s.call('POST', '/Users', ada);
    expect(adopted).toMatchObject({ status: 201, body: { id: mine.id, displayName: 'Ada Lovelace' } });
    expect((await s.call('POST', '/Users', ada)).body).toMatchObject({ status: '409', scimType: 'uniqueness' });

    const matched = jit('grace@acme.test', s.directoryId);
    expect((await s.call('PATCH', `/Users/${matched.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Grace' }] })).status).toBe(200);
    expect((await s.call('POST', '/Users', { ...ada, userName: 'grace@acme.test' })).status).toBe(409);
  });

  it("never adopts a user created just in time into another directory: that directory's user (409)", async () => {
    const other = await h.json('POST', `/admin/v1/tenants/${s.tenantId}/scim/directories`, { body: { name: 'Other' } });
    const system = { type: 'system' as const, id: null, credential_id: null, ip: null, user_agent: null, request_id: null };
    const theirs = h.services.directory.createUserJustInTime(s.tenantId, { user_name: 'ada@acme.test', email: null, external_id: null, given_name: null, family_name: null, display_name: null, directory_id: other.body.id }, system);
    expect((await s.call('POST', '/Users', ada)).body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    expect(h.services.directory.findUserById(s.tenantId, theirs.id)).toMatchObject({ directory_id: other.body.id, display_name: null });
  });

  it('audits create, update and delete with the SCIM token as actor', async () => {
    const { body: created } = await s.call('POST', '/Users', ada);
    await s.call('PATCH', `/Users/${created.id}`, { Operations: [{ op: 'replace', path: 'displayName', value: 'A' }] });
    await s.call('DELETE', `/Users/${created.id}`);
    const events = h.services.audit.list(s.tenantId, { target_id: created.id }, undefined, 20).data;
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['directory.user.created', 'directory.user.updated', 'directory.user.deleted']));
    expect(events.every((e) => e.actor.type === 'scim_token')).toBe(true);
  });
});
