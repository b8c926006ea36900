import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * `directory_id` on a connection, through the admin API: it names a live SCIM directory of the
 * same tenant (else 400, nothing changed), is audited like every other field, and keeps the
 * directory from being deleted while bound; deleting the connection releases it.
 */
describe('binding a connection to a SCIM directory (admin API)', () => {
  let h: Harness;
  let acme: { id: string };
  let other: { id: string };
  let dirs: { employees: string; contractors: string; deleted: string; foreign: string };
  const idp = new TestSamlIdp();

  const t = () => `/admin/v1/tenants/${acme.id}`;
  const directory = async (tenantId: string, name: string) => (await h.json('POST', `/admin/v1/tenants/${tenantId}/scim/directories`, { body: { name } })).body.id as string;
  const create = (body: Record<string, unknown> = {}) =>
    h.json('POST', `${t()}/connections`, { body: { name: 'Okta', protocol: 'saml', saml: { metadata_xml: idp.metadataXml() }, ...body } });
  const stored = (id: string) => h.services.storage.sql.prepare('SELECT directory_id, version, deleted_at FROM sso_connections WHERE id = ?').get(id);
  const audit = (action?: string) => [...h.services.audit.export(acme.id, {})].filter((e) => !action || e.action === action);

  beforeAll(async () => {
    h = new Harness();
    acme = await h.createTenant('Bank', 'bank');
    other = await h.createTenant('Other', 'other');
    dirs = {
      employees: await directory(acme.id, 'Okta employees'),
      contractors: await directory(acme.id, 'Partner contractors'),
      deleted: await directory(acme.id, 'Old'),
      foreign: await directory(other.id, 'Other tenant'),
    };
    expect((await h.json('DELETE', `${t()}/scim/directories/${dirs.deleted}`)).status).toBe(204);
  });
  afterAll(() => h?.close());

  it('creates a connection bound to a directory, shows the binding and audits it; without one it is unbound', async () => {
    const bound = await create({ directory_id: dirs.employees });
    expect(bound.status).toBe(201);
    expect(bound.body.directory_id).toBe(dirs.employees);
    expect((await h.json('GET', `${t()}/connections/${bound.body.id}`)).body.directory_id).toBe(dirs.employees);
    expect(audit('sso.connection.created').at(-1)).toMatchObject({ target: { id: bound.body.id }, after: { directory_id: dirs.employees } });
    const plain = await create();
    expect(plain.body.directory_id).toBeNull();
    expect(audit('sso.connection.created').at(-1)?.after).toMatchObject({ directory_id: null });
  });

  it('binds, rebinds and unbinds with PATCH, each audited with the binding before and after; the same value again changes nothing', async () => {
    const conn = (await create()).body;
    const patch = async (directory_id: string | null) => {
      const r = await h.json('PATCH', `${t()}/connections/${conn.id}`, { body: { directory_id } });
      expect(r.status).toBe(200);
      expect(r.body.directory_id).toBe(directory_id);
      return r;
    };
    const steps: [string | null, string | null][] = [
      [null, dirs.employees],
      [dirs.employees, dirs.contractors],
      [dirs.contractors, null],
    ];
    for (const [before, after] of steps) {
      const etag = (await h.json('GET', `${t()}/connections/${conn.id}`)).res.headers.get('etag');
      const r = await patch(after);
      expect(r.res.headers.get('etag')).not.toBe(etag);
      expect(audit('sso.connection.updated').at(-1)).toMatchObject({ target: { id: conn.id }, before: { directory_id: before }, after: { directory_id: after } });
    }
    const events = audit().length;
    const { version } = stored(conn.id) as { version: number };
    await patch(null);
    expect(audit()).toHaveLength(events);
    expect(stored(conn.id)).toMatchObject({ version });
  });

  it("refuses a directory that is not a live SCIM directory of this tenant (unknown, deleted, another tenant's, alike): 400 invalid_connection, nothing changed", async () => {
    const conn = (await create({ directory_id: dirs.employees })).body;
    const before = { row: stored(conn.id), events: audit().length, connections: (await h.json('GET', `${t()}/connections?limit=100`)).body.data.length };
    const messages = new Set<string>();
    for (const id of ['dir_01JUNKNOWNUNKNOWNUNKNOWN00', dirs.deleted, dirs.foreign]) {
      for (const r of [await create({ directory_id: id }), await h.json('PATCH', `${t()}/connections/${conn.id}`, { body: { directory_id: id } })]) {
        expect([id, r.status, r.body.code]).toEqual([id, 400, 'invalid_connection']);
        messages.add(r.body.message);
      }
    }
    expect([...messages]).toEqual(['directory_id names no SCIM directory of this tenant.']);
    expect(stored(conn.id)).toEqual(before.row);
    expect(audit()).toHaveLength(before.events);
    expect((await h.json('GET', `${t()}/connections?limit=100`)).body.data).toHaveLength(before.connections);
  });

  it('refuses a malformed directory_id with 400 invalid_request, nothing changed', async () => {
    const conn = (await create({ directory_id: dirs.employees })).body;
    const row = stored(conn.id);
    const events = audit().length;
    for (const bad of [42, '', 'd'.repeat(65), true, {}, [dirs.contractors]]) {
      for (const r of [await create({ directory_id: bad }), await h.json('PATCH', `${t()}/connections/${conn.id}`, { body: { directory_id: bad } })]) {
        expect([bad, r.status, r.body.code]).toEqual([bad, 400, 'invalid_request']);
      }
    }
    expect(stored(conn.id)).toEqual(row);
    expect(audit()).toHaveLength(events);
    // The same request with a well-formed value is accepted: the field itself is known.
    expect((await h.json('PATCH', `${t()}/connections/${conn.id}`, { body: { directory_id: dirs.contractors } })).body.directory_id).toBe(dirs.contractors);
  });

  it('answers a binding change without a credential or with a revoked key (401), from another tenant (404) or without the admin scope (403), changing nothing', async () => {
    const conn = (await create()).body;
    const revoked = await h.tenantKey(acme.id, ['admin']);
    await h.json('DELETE', `${t()}/api-keys/${revoked.id}`);
    const cases: [string | null, number][] = [
      [null, 401],
      [revoked.key, 401],
      [(await h.tenantKey(other.id, ['admin'])).key, 404],
      [(await h.tenantKey(acme.id, ['audit:read'])).key, 403],
    ];
    const foreignAdmin = (await h.tenantKey(other.id, ['admin'])).key;
    const row = stored(conn.id);
    const events = audit().length;
    for (const [key, status] of cases) {
      expect((await h.json('PATCH', `${t()}/connections/${conn.id}`, { key, body: { directory_id: dirs.employees } })).status).toBe(status);
      expect((await h.json('POST', `${t()}/connections`, { key, body: { name: 'x', protocol: 'saml', directory_id: dirs.employees, saml: { metadata_xml: idp.metadataXml() } } })).status).toBe(status);
    }
    // Another tenant's admin binding its own directory to this tenant's connection: the connection does not exist for it.
    expect((await h.json('PATCH', `/admin/v1/tenants/${other.id}/connections/${conn.id}`, { key: foreignAdmin, body: { directory_id: dirs.foreign } })).status).toBe(404);
    expect(stored(conn.id)).toEqual(row);
    expect(audit()).toHaveLength(events);
    expect((await h.json('PATCH', `${t()}/connections/${conn.id}`, { body: { directory_id: dirs.employees } })).body.directory_id).toBe(dirs.employees);
  });

  it('refuses to delete a directory a connection is bound to (409 directory_in_use naming it), keeps it working, and deletes it once unbound', async () => {
    const dir = await directory(acme.id, 'Bound');
    const token = await h.json('POST', `${t()}/scim/directories/${dir}/tokens`, { body: { name: 'okta' } });
    const conn = (await create({ name: 'Okta (employees)', directory_id: dir })).body;
    const events = audit().length;
    const refused = await h.json('DELETE', `${t()}/scim/directories/${dir}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'directory_in_use', details: { connections: [conn.id] } });
    expect(refused.body.message).toContain(`'Okta (employees)' (${conn.id})`);
    expect(audit()).toHaveLength(events);
    expect((await h.json('GET', `${t()}/scim/directories/${dir}`)).status).toBe(200);
    expect((await h.request('GET', `/scim/v2/${dir}/Users`, { key: token.body.token })).status).toBe(200);

    expect((await h.json('PATCH', `${t()}/connections/${conn.id}`, { body: { directory_id: null } })).status).toBe(200);
    expect((await h.json('DELETE', `${t()}/scim/directories/${dir}`)).status).toBe(204);
    expect((await h.json('PATCH', `${t()}/connections/${conn.id}`, { body: { directory_id: dir } })).body.code).toBe('invalid_connection');
  });

  it('releases the binding when the connection is deleted (audited with it), after which the directory can be deleted', async () => {
    const dir = await directory(acme.id, 'Released');
    const conn = (await create({ directory_id: dir })).body;
    expect((await h.json('DELETE', `${t()}/scim/directories/${dir}`)).status).toBe(409);
    expect((await h.json('DELETE', `${t()}/connections/${conn.id}`)).status).toBe(204);
    expect(audit('sso.connection.deleted').at(-1)).toMatchObject({ target: { id: conn.id }, before: { directory_id: dir } });
    expect(stored(conn.id)).toMatchObject({ directory_id: null, deleted_at: expect.any(String) });
    expect((await h.json('DELETE', `${t()}/scim/directories/${dir}`)).status).toBe(204);
  });

  it('declares directory_id in the OpenAPI document: create and update bodies, the connection, and the 409 of a directory deletion', async () => {
    const doc = (await h.json('GET', '/openapi.json')).body;
    for (const schema of ['CreateConnection', 'UpdateConnection', 'Connection']) {
      expect([schema, doc.components.schemas[schema].properties.directory_id]).toEqual([schema, expect.objectContaining({ type: expect.anything() })]);
    }
    expect(doc.paths['/admin/v1/tenants/{tenant}/scim/directories/{directory}'].delete.responses['409']).toBeDefined();
  });
});
