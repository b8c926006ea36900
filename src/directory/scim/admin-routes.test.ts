import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../../test/helpers/harness.ts';
import { runCli } from '../../cli/run.ts';

describe('SCIM admin API: directories, tokens, normalisations, group mappings', () => {
  let h: Harness;
  let tenant: { id: string; slug: string };
  beforeEach(async () => {
    h = new Harness();
    tenant = await h.createTenant('Acme');
  });
  afterEach(() => h.close());

  const admin = (method: string, path: string, o: { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}) =>
    h.json(method, `/admin/v1/tenants/${tenant.id}/scim${path}`, o);

  it('creates a directory and tokens shown once, stored only as SHA-256, several active at once', async () => {
    const dir = await admin('POST', '/directories', { body: { name: 'Okta' } });
    expect(dir.status).toBe(201);
    expect(dir.body.base_url).toBe(`http://127.0.0.1:8080/scim/v2/${dir.body.id}`);
    const t1 = await admin('POST', `/directories/${dir.body.id}/tokens`, { body: { name: 'one' } });
    const t2 = await admin('POST', `/directories/${dir.body.id}/tokens`, { body: { name: 'two' } });
    expect(t1.status).toBe(201);
    expect(t1.body.token).toMatch(/^ptc_scim_[0-9A-Z]{26}_[\w-]{43}$/);
    const list = await admin('GET', `/directories/${dir.body.id}/tokens`);
    expect(list.body.data).toHaveLength(2);
    expect(JSON.stringify(list.body)).not.toContain(t1.body.token.slice(-43));
    const stored = h.services.storage.sql.raw.prepare('SELECT secret_hash FROM scim_tokens').all() as { secret_hash: string }[];
    expect(stored.every((r) => /^[0-9a-f]{64}$/.test(r.secret_hash))).toBe(true);
    const dump = JSON.stringify(h.services.storage.sql.raw.prepare('SELECT * FROM scim_tokens').all());
    expect(dump).not.toContain(t1.body.token.slice(-43));
    expect(h.logs.text).not.toContain(t1.body.token.slice(-43));
    for (const t of [t1.body.token, t2.body.token]) {
      expect((await h.request('GET', `/scim/v2/${dir.body.id}/Users`, { key: t })).status).toBe(200);
    }
    const actions = h.services.audit.list(tenant.id, {}, undefined, 20).data.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['scim.directory.created', 'scim.token.created']));
  });

  it('creates a token on the default directory (made on first use), as the CLI does', async () => {
    const t = await admin('POST', '/tokens', { body: {} });
    expect(t.status).toBe(201);
    const again = await admin('POST', '/tokens', { body: { name: 'second' } });
    expect(again.body.directory_id).toBe(t.body.directory_id);
    expect((await admin('GET', '/directories')).body.data).toHaveLength(1);
  });

  it('revokes a token idempotently and audits it once', async () => {
    const t = await admin('POST', '/tokens', { body: {} });
    const path = `/directories/${t.body.directory_id}/tokens/${t.body.id}`;
    expect((await admin('DELETE', path)).body.revoked_at).not.toBeNull();
    expect((await admin('DELETE', path)).status).toBe(200);
    expect(h.services.audit.list(tenant.id, { action: 'scim.token.revoked' }, undefined, 10).data).toHaveLength(1);
    expect((await admin('DELETE', `/directories/${t.body.directory_id}/tokens/scim_nope`)).status).toBe(404);
  });

  it('guards every route like the rest of the admin API: 401, 404 for another tenant, 403 without admin scope', async () => {
    const t = await admin('POST', '/tokens', { body: {} });
    const other = await h.createTenant('Other');
    const otherAdmin = await h.tenantKey(other.id, ['admin']);
    const readOnly = await h.tenantKey(tenant.id, ['audit:read']);
    const revoked = await h.tenantKey(tenant.id, ['admin']);
    await h.json('DELETE', `/admin/v1/tenants/${tenant.id}/api-keys/${revoked.id}`);
    const routes: [string, string, unknown?][] = [
      ['POST', '/directories', { name: 'x' }],
      ['GET', '/directories'],
      ['GET', `/directories/${t.body.directory_id}`],
      ['POST', `/directories/${t.body.directory_id}/tokens`, { name: 'x' }],
      ['GET', `/directories/${t.body.directory_id}/tokens`],
      ['DELETE', `/directories/${t.body.directory_id}/tokens/${t.body.id}`],
      ['GET', `/directories/${t.body.directory_id}/normalisations`],
      ['POST', '/tokens', {}],
      ['POST', '/group-mappings', { group_id: 'grp_x', relation: 'viewer' }],
      ['GET', '/group-mappings'],
      ['DELETE', `/directories/${t.body.directory_id}`],
    ];
    for (const [method, path, body] of routes) {
      expect((await admin(method, path, { key: null, body })).status, `${method} ${path} unauthenticated`).toBe(401);
      expect((await admin(method, path, { key: revoked.key, body })).status, `${method} ${path} revoked`).toBe(401);
      expect((await admin(method, path, { key: t.body.token, body })).status, `${method} ${path} with a SCIM token`).toBe(401);
      expect((await admin(method, path, { key: otherAdmin.key, body })).status, `${method} ${path} other tenant`).toBe(404);
      expect((await admin(method, path, { key: readOnly.key, body })).status, `${method} ${path} no admin scope`).toBe(403);
    }
    expect((await admin('GET', `/directories/${t.body.directory_id}/tokens`)).body.data[0].revoked_at).toBeNull();
  });

  it('rejects malformed and oversized bodies with a stable code and no change', async () => {
    const bad = await admin('POST', '/directories', { rawBody: '{"name":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('malformed_json');
    const extra = await admin('POST', '/directories', { body: { name: 'x', evil: true } });
    expect(extra.body.code).toBe('invalid_request');
    const big = await admin('POST', '/directories', { body: { name: 'x'.repeat(2 * 1024 * 1024) } });
    expect(big.status).toBe(413);
    expect((await admin('GET', '/directories')).body.data).toHaveLength(0);
  });

  it('lists what was normalised per request, newest first, for this directory only', async () => {
    const t = await admin('POST', '/tokens', { body: {} });
    const scim = (body: unknown) => h.request('POST', `/scim/v2/${t.body.directory_id}/Users`, { key: t.body.token, body, headers: { 'user-agent': 'Okta SCIM Client 1.0.0' } });
    await scim({ userName: 'a@acme.test', password: 'secret1' });
    await scim({ userName: 'b@acme.test', active: 'True' });
    const page = await admin('GET', `/directories/${t.body.directory_id}/normalisations?limit=1`);
    expect(page.body.data).toEqual([expect.objectContaining({ rule: 'boolean_string', dialect: 'okta', method: 'POST', user_agent: 'Okta SCIM Client 1.0.0' })]);
    const next = await admin('GET', `/directories/${t.body.directory_id}/normalisations?limit=1&cursor=${page.body.next_cursor}`);
    expect(next.body.data).toEqual([expect.objectContaining({ rule: 'password_discarded' })]);
    expect(JSON.stringify(next.body)).not.toContain('secret1');
  });

  it('maps a group to an organization relation by id or by display name, refusing duplicates and bad relations', async () => {
    const t = await admin('POST', '/tokens', { body: {} });
    const g = await h.json('POST', `/scim/v2/${t.body.directory_id}/Groups`, { key: t.body.token, body: { displayName: 'Finance Reviewers' } });
    const byName = await admin('POST', '/group-mappings', { body: { directory_id: t.body.directory_id, group_display_name: 'finance reviewers', relation: 'viewer' } });
    expect(byName.status).toBe(201);
    expect(byName.body).toMatchObject({ group_id: g.body.id, relation: 'viewer', object: `organization:${tenant.id}` });
    expect((await admin('POST', '/group-mappings', { body: { group_id: g.body.id, relation: 'viewer' } })).status).toBe(409);
    expect((await admin('POST', '/group-mappings', { body: { group_id: g.body.id, relation: 'Bad Relation!' } })).status).toBe(400);
    expect((await admin('POST', '/group-mappings', { body: { group_id: 'grp_missing', relation: 'viewer' } })).status).toBe(404);
    expect((await admin('GET', '/group-mappings')).body.data).toHaveLength(1);
    expect((await admin('DELETE', `/group-mappings/${byName.body.id}`)).status).toBe(204);
    expect((await admin('GET', '/group-mappings')).body.data).toHaveLength(0);
    const actions = h.services.audit.list(tenant.id, {}, undefined, 50).data.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['directory.group_mapping.created', 'directory.group_mapping.deleted']));
  });

  it('portcullis scim-token create --tenant T --json prints {id, token, base_url} and the token works', async () => {
    const out: string[] = [];
    const code = await runCli(['scim-token', 'create', '--tenant', tenant.slug, '--json', '--data-dir', h.dir], {
      stdout: (t) => out.push(t),
      stderr: (t) => out.push(t),
      env: { PORTCULLIS_BASE_URL: 'https://id.example.com' },
    });
    expect(code).toBe(0);
    const printed = JSON.parse(out.join(''));
    expect(Object.keys(printed).sort()).toEqual(['base_url', 'id', 'token']);
    expect(printed.base_url).toMatch(/^https:\/\/id\.example\.com\/scim\/v2\/dir_[0-9A-Z]{26}$/);
    const dir = printed.base_url.split('/').pop();
    expect((await h.request('GET', `/scim/v2/${dir}/ServiceProviderConfig`, { key: printed.token })).status).toBe(200);
  });
});
