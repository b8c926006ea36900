import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.ts';
import { startServer, type RunningServer } from '../../src/server.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const q = (s: string) => encodeURIComponent(s);
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

/**
 * Request shapes Microsoft Entra ID and Okta send (Microsoft Learn "Develop and plan provisioning
 * for a SCIM endpoint" and "Known issues … SCIM 2.0 protocol compliance"; Okta "SCIM 2.0 protocol
 * reference") beyond the recorded fixtures, over a real HTTP server: the answer the IdP expects,
 * what is stored, and which normalisations were recorded for the request.
 */
describe('SCIM dialects: what Entra ID and Okta actually send', () => {
  let h: Harness;
  let server: RunningServer;
  let tenantId: string;
  let storeId: string;
  let dir: string;
  let token: string;
  let base: string;

  beforeEach(async () => {
    h = new Harness({ port: 0 });
    server = await startServer(h.services);
    const tenant = await h.createTenant('Contoso');
    [tenantId, storeId] = [tenant.id, tenant.authz_store_id];
    dir = (await h.json('POST', `/admin/v1/tenants/${tenantId}/scim/directories`, { body: { name: 'Entra' } })).body.id;
    token = (await h.json('POST', `/admin/v1/tenants/${tenantId}/scim/directories/${dir}/tokens`, { body: { name: 't' } })).body.token;
    base = `${server.url}/scim/v2/${dir}`;
  });
  afterEach(async () => {
    await server.close();
    await h.close();
  });

  async function call(method: string, path: string, body?: unknown, ua = 'Microsoft.Identity.Provisioning'): Promise<{ status: number; body: any; requestId: string }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'user-agent': ua, ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, requestId: res.headers.get('x-request-id') ?? '' };
  }
  const okta = (method: string, path: string, body?: unknown) => call(method, path, body, 'Okta SCIM Client 1.0.0');
  async function rules(requestId: string): Promise<string[]> {
    const page = await h.json('GET', `/admin/v1/tenants/${tenantId}/scim/directories/${dir}/normalisations?limit=200`);
    return page.body.data.filter((r: { request_id: string }) => r.request_id === requestId).map((r: { rule: string; dialect: string }) => `${r.dialect}:${r.rule}`).sort();
  }
  const user = async (userName: string, extra: Record<string, unknown> = {}) => (await call('POST', '/Users', { schemas: [USER], userName, active: true, ...extra })).body.id as string;
  const members = async (group: string) => ((await call('GET', `/Groups/${group}`)).body.members ?? []).map((m: { value: string }) => m.value).sort();
  async function groupTuples(group: string): Promise<string[]> {
    const r = await h.json('POST', `/stores/${storeId}/read`, { body: { tuple_key: { relation: 'member', object: `group:${group}` } } });
    return r.body.tuples.map((t: { key: { user: string } }) => t.key.user).sort();
  }

  it('Entra: one "Add" of members with several values adds them all, answers 204 and writes one tuple each', async () => {
    const [a, b, c] = [await user('a@contoso.test'), await user('b@contoso.test'), await user('c@contoso.test')];
    const g = (await call('POST', '/Groups', { displayName: 'Sales' })).body.id;
    const add = await call('PATCH', `/Groups/${g}`, patch({ op: 'Add', path: 'members', value: [{ $ref: null, value: a }, { $ref: null, value: b }, { $ref: null, value: c }] }));
    expect(add.status, JSON.stringify(add.body)).toBe(204);
    expect(add.body).toBeUndefined();
    expect(await rules(add.requestId)).toEqual(['entra:op_case']);
    expect(await members(g)).toEqual([a, b, c].sort());
    expect(await groupTuples(g)).toEqual([a, b, c].map((x) => `user:${x}`).sort());
    const remove = await call('PATCH', `/Groups/${g}`, patch({ op: 'Remove', path: 'members', value: [{ value: a }, { value: c }] }));
    expect(remove.status).toBe(204);
    expect(await rules(remove.requestId)).toEqual(['entra:op_case', 'entra:remove_with_value']);
    expect(await groupTuples(g)).toEqual([`user:${b}`]);
  });

  // Microsoft's documents show the rename as a string value (with a path) or, with the flag, a
  // path-less object; `path: displayName` with an object value is in neither, so it is refused
  // with a clear 400 (visible in Entra's provisioning logs) rather than guessed at.
  it('Entra: a group rename with a string value, and path-less with the flag, renames; a path plus object value is a clear 400', async () => {
    const g = (await call('POST', '/Groups', { displayName: 'Old' })).body.id;
    const asString = await call('PATCH', `/Groups/${g}`, patch({ op: 'Replace', path: 'displayName', value: 'New' }));
    expect(asString.status).toBe(204);
    const pathless = await call('PATCH', `/Groups/${g}?aadOptscim062020`, patch({ op: 'replace', value: { displayName: 'Newer' } }));
    expect(pathless.status).toBe(204);
    expect((await call('GET', `/Groups/${g}`)).body.displayName).toBe('Newer');
    const objectWithPath = await call('PATCH', `/Groups/${g}`, patch({ op: 'Replace', path: 'displayName', value: { displayName: 'x' } }));
    expect(objectWithPath.status).toBe(400);
    expect(objectWithPath.body).toMatchObject({ schemas: [ERROR], scimType: 'invalidValue', detail: expect.stringContaining('displayName') });
    expect((await call('GET', `/Groups/${g}`)).body).toMatchObject({ displayName: 'Newer', meta: { version: 'W/"3"' } });
  });

  it("Entra: the provisioning service's mixed update (work email, work address, department by URN) and the validator's typed emails", async () => {
    const id = await user('adele@contoso.test', { emails: [{ type: 'work', value: 'old@contoso.test', primary: true }] });
    const r = await call('PATCH', `/Users/${id}`, patch(
      { op: 'Replace', path: 'emails[type eq "work"].value', value: 'AdeleV2@contoso.test' },
      { op: 'Replace', path: 'addresses[type eq "work"].formatted', value: '18/2111' },
      { op: 'Add', path: `${ENT}:department`, value: 'Retail' },
    ));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.emails).toEqual([{ type: 'work', value: 'AdeleV2@contoso.test', primary: true }]);
    expect(r.body.addresses).toEqual([{ type: 'work', formatted: '18/2111' }]);
    expect(r.body[ENT]).toEqual({ department: 'Retail' });
    const v = await call('PATCH', `/Users/${id}`, patch(
      { op: 'add', path: 'emails[type eq "home"].value', value: 'home@example.test' },
      { op: 'replace', path: 'emails[type eq "work"].display', value: 'WORK' },
      { op: 'add', path: 'emails[type eq "work"].primary', value: false },
      { op: 'replace', path: 'emails[type eq "home"].primary', value: true },
    ));
    expect(v.status, JSON.stringify(v.body)).toBe(200);
    expect(v.body.emails).toEqual([
      { type: 'work', value: 'AdeleV2@contoso.test', display: 'WORK', primary: false },
      { type: 'home', value: 'home@example.test', primary: true },
    ]);
    expect((await call('GET', `/Users/${id}`)).body.emails).toEqual(v.body.emails);
  });

  it('Entra: replace and add of emails[type eq "work"].value on a user without emails creates the work email, recorded', async () => {
    const id = await user('noemail@contoso.test');
    const r = await call('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'w@contoso.test' }, { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' }));
    expect(r.status).toBe(200);
    expect(r.body.emails).toEqual([{ type: 'work', value: 'w@contoso.test' }]);
    expect(r.body.phoneNumbers).toEqual([{ type: 'mobile', value: '+1 555 0100' }]);
    expect(await rules(r.requestId)).toEqual(['entra:filtered_path_created', 'entra:filtered_path_created', 'entra:op_case', 'entra:op_case']);
    const found = await call('GET', `/Users?filter=${q('emails[type eq "work"].value eq "W@contoso.test"')}`);
    expect(found.body.Resources.map((u: { id: string }) => u.id)).toEqual([id]);
  });

  it('Entra: manager set with the full URN path as {"value": id} and as a bare string, then removed with "Remove" and no value', async () => {
    const boss = await user('boss@contoso.test');
    const id = await user('emp@contoso.test');
    const asObject = await call('PATCH', `/Users/${id}`, patch({ op: 'Add', path: `${ENT}:manager`, value: { value: boss } }));
    expect(asObject.status).toBe(200);
    expect(asObject.body[ENT].manager).toMatchObject({ value: boss, $ref: expect.stringMatching(new RegExp(`/Users/${boss}$`)) });
    expect(await rules(asObject.requestId)).toEqual(['entra:op_case']);

    const asString = await call('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: `${ENT}:manager`, value: 'other-manager' }));
    expect(asString.status).toBe(200);
    expect(asString.body[ENT].manager.value).toBe('other-manager');
    expect(await rules(asString.requestId)).toEqual(['entra:complex_as_string', 'entra:op_case']);
    const byManager = await call('GET', `/Users?filter=${q(`${ENT}:manager.value eq "other-manager"`)}&attributes=id`);
    expect(byManager.body.totalResults).toBe(1);

    const remove = await call('PATCH', `/Users/${id}`, patch({ op: 'Remove', path: `${ENT}:manager` }));
    expect(remove.status).toBe(200);
    expect(remove.body[ENT]?.manager).toBeUndefined();
    await call('PATCH', `/Users/${id}`, patch({ op: 'Add', path: 'manager', value: boss }));
    const unqualified = await call('PATCH', `/Users/${id}`, patch({ op: 'Remove', path: 'manager' }));
    expect(unqualified.status).toBe(200);
    expect(unqualified.body[ENT]).toBeUndefined();
    expect(await rules(unqualified.requestId)).toEqual(['entra:extension_unqualified', 'entra:op_case']);
    expect((await call('GET', `/Users?filter=${q(`${ENT}:manager.value pr`)}`)).body.totalResults).toBe(0);
  });

  // Entra with the flag removes a manager by naming it in a value filter, although manager is
  // single-valued: { op: 'remove', path: 'manager[value eq "…"]' } (thomaspoignant/scim-patch#453).
  it('Entra: removes the manager named by manager[value eq "…"], keeps another, and records the deviation', async () => {
    const id = await user('filtered@contoso.test', { [ENT]: { manager: { value: 'boss-1' }, department: 'Ops' } });
    const other = await call('PATCH', `/Users/${id}?aadOptscim062020`, patch({ op: 'remove', path: 'manager[value eq "boss-2"]' }));
    expect(other.status, JSON.stringify(other.body)).toBe(200);
    expect(other.body[ENT].manager.value).toBe('boss-1');
    const r = await call('PATCH', `/Users/${id}?aadOptscim062020`, patch({ op: 'remove', path: `${ENT}:manager[value eq "boss-1"]` }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body[ENT]).toEqual({ department: 'Ops' });
    expect(await rules(r.requestId)).toEqual(['entra:single_value_filtered']);
    expect((await call('GET', `/Users/${id}`)).body[ENT]).toEqual({ department: 'Ops' });
    const replace = await call('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'manager[value eq "x"].value', value: 'y' }));
    expect(replace.status).toBe(400);
    expect(replace.body).toMatchObject({ schemas: [ERROR], scimType: 'invalidPath' });
  });

  it('Entra: active as "False"/"True" strings deprovisions and reactivates, in PATCH and in PUT', async () => {
    const id = await user('strings@contoso.test');
    const off = await call('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'active', value: 'False' }));
    expect(off.body.active).toBe(false);
    expect(h.services.audit.list(tenantId, { action: 'directory.user.deprovisioned', target_id: id }, undefined, 5).data).toHaveLength(1);
    const on = await call('PUT', `/Users/${id}`, { schemas: [USER], userName: 'strings@contoso.test', active: 'True' });
    expect(on.status).toBe(200);
    expect(on.body.active).toBe(true);
    expect(await rules(on.requestId)).toEqual(['entra:boolean_string']);
    const bad = await call('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'active', value: 'no' }));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ schemas: [ERROR], scimType: 'invalidValue' });
    expect((await call('GET', `/Users/${id}`)).body.active).toBe(true);
  });

  it('Entra with ?aadOptscim062020: lists, gets and discovery accept the flag; records name it entra even without the User-Agent', async () => {
    await user('flag@contoso.test');
    const list = await call('GET', `/Users?aadOptscim062020&filter=${q('userName eq "FLAG@contoso.test"')}`, undefined, 'curl/8');
    expect(list.status).toBe(200);
    expect(list.body.totalResults).toBe(1);
    expect((await call('GET', '/ServiceProviderConfig?aadOptscim062020')).status).toBe(200);
    const id = list.body.Resources[0].id;
    const r = await call('PATCH', `/Users/${id}?aadOptscim062020`, patch({ op: 'replace', value: { [`${ENT}:department`]: 'Sales', 'name.familyName': 'Flag' } }), 'curl/8');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: { familyName: 'Flag' }, [ENT]: { department: 'Sales' } });
    expect(await rules(r.requestId)).toEqual(['entra:value_key_path', 'entra:value_key_path']);
  });

  it('GET /Users with userName eq and excludedAttributes=members (not a User attribute) answers the user, not an error', async () => {
    const id = await user('x@contoso.test');
    const r = await call('GET', `/Users?filter=${q('userName eq "x@contoso.test"')}&excludedAttributes=members`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.Resources.map((u: { id: string }) => u.id)).toEqual([id]);
    expect(r.body.Resources[0].userName).toBe('x@contoso.test');
  });

  it("Okta: GET /Groups?filter=displayName eq finds the group case-insensitively, with paging parameters", async () => {
    const g = (await okta('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering', members: [] })).body.id;
    const r = await okta('GET', `/Groups?filter=${q('displayName eq "engineering"')}&startIndex=1&count=100`);
    expect(r.body).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1, Resources: [{ id: g, displayName: 'Engineering' }] });
    expect((await okta('GET', `/Groups?filter=${q('displayName eq "Engineers"')}`)).body).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('Okta: a PUT of the whole user without name, emails and the extension clears them, and keeps active', async () => {
    const id = await user('full@okta.test', { name: { givenName: 'Full', familyName: 'User' }, title: 'Dev', emails: [{ value: 'full@okta.test', type: 'work', primary: true }], [ENT]: { employeeNumber: '7' } });
    const put = await okta('PUT', `/Users/${id}`, { schemas: [USER], id, userName: 'full@okta.test', displayName: 'Full', password: 'x1!Secret' });
    expect(put.status).toBe(200);
    for (const gone of ['name', 'title', 'emails', ENT]) expect(put.body[gone], gone).toBeUndefined();
    expect(put.body).toMatchObject({ displayName: 'Full', active: true });
    expect(put.body.password).toBeUndefined();
    expect(await rules(put.requestId)).toEqual(['okta:password_discarded']);
    expect((await okta('GET', `/Users/${id}`)).body).toEqual(put.body);
  });

  it('Okta group push: members add, members remove and a displayName replace in one PATCH apply together, or not at all', async () => {
    const [a, b, c] = [await user('a@okta.test'), await user('b@okta.test'), await user('c@okta.test')];
    const g = (await okta('POST', '/Groups', { displayName: 'Push', members: [{ value: a }, { value: b }] })).body.id;
    const ok = await okta('PATCH', `/Groups/${g}`, patch(
      { op: 'remove', path: `members[value eq "${a}"]` },
      { op: 'add', path: 'members', value: [{ value: c, display: 'c@okta.test' }] },
      { op: 'replace', path: 'displayName', value: 'Pushed' },
    ));
    expect(ok.status).toBe(204);
    expect((await okta('GET', `/Groups/${g}`)).body.displayName).toBe('Pushed');
    expect(await members(g)).toEqual([b, c].sort());
    expect(await groupTuples(g)).toEqual([`user:${b}`, `user:${c}`].sort());
    await okta('POST', '/Groups', { displayName: 'Taken' });
    const clash = await okta('PATCH', `/Groups/${g}`, patch({ op: 'add', path: 'members', value: [{ value: a }] }, { op: 'replace', value: { id: g, displayName: 'Taken' } }));
    expect(clash.status).toBe(409);
    expect(await members(g)).toEqual([b, c].sort());
    expect(await groupTuples(g)).toEqual([`user:${b}`, `user:${c}`].sort());
  });

  it('enterprise fields with the full URN prefix: PATCH paths, sub-attribute paths and a PUT body', async () => {
    const id = await user('ent@contoso.test');
    const r = await call('PATCH', `/Users/${id}`, patch(
      { op: 'Add', path: `${ENT}:employeeNumber`, value: '1001' },
      { op: 'Replace', path: `${ENT}:department`, value: 'Finance' },
      { op: 'Add', path: `${ENT}:manager.value`, value: 'mgr-1' },
    ));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body[ENT]).toMatchObject({ employeeNumber: '1001', department: 'Finance', manager: { value: 'mgr-1' } });
    expect(r.body.schemas).toContain(ENT);
    const byNumber = await call('GET', `/Users?filter=${q(`${ENT}:employeeNumber eq "1001"`)}`);
    expect(byNumber.body.totalResults).toBe(1);
    const rm = await call('PATCH', `/Users/${id}`, patch({ op: 'Remove', path: `${ENT}:employeeNumber` }));
    expect(rm.body[ENT]).toEqual({ department: 'Finance', manager: expect.objectContaining({ value: 'mgr-1' }) });
    const put = await okta('PUT', `/Users/${id}`, { schemas: [USER, ENT], userName: 'ent@contoso.test', [ENT]: { employeeNumber: '2002', costCenter: 'CC9', manager: { value: 'mgr-2' } } });
    expect(put.status).toBe(200);
    expect(put.body[ENT]).toMatchObject({ employeeNumber: '2002', costCenter: 'CC9', manager: { value: 'mgr-2' } });
    expect(put.body[ENT].department).toBeUndefined();
  });
});
