import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { ADMIN_ROUTES, seedTenant, snapshotTenant, type TenantCtx } from '../../helpers/admin-routes.ts';

const LIMIT = 4096;
const withBody = ADMIN_ROUTES.filter((r) => r.body);
const lists = [
  (t: TenantCtx) => '/admin/v1/tenants',
  (t: TenantCtx) => `/admin/v1/tenants/${t.id}/api-keys`,
  (t: TenantCtx) => `/admin/v1/tenants/${t.id}/audit`,
];

describe('bad input on admin routes', () => {
  let h: Harness;
  let t: TenantCtx;
  beforeEach(async () => {
    h = new Harness({ bodyLimitBytes: LIMIT });
    t = await seedTenant(h, 'Target');
  });
  afterEach(() => h.close());

  const expectRefused = async (
    req: Parameters<Harness['json']>,
    status: number,
    code: string,
  ) => {
    const before = snapshotTenant(h, t.id);
    const res = await h.json(...req);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.code).toBe(code);
    expect(typeof res.body.message).toBe('string');
    expect(snapshotTenant(h, t.id)).toEqual(before);
    return res;
  };

  describe.each(withBody)('$name', (route) => {
    it('refuses malformed JSON with 400 malformed_json', async () => {
      await expectRefused([route.method, route.path(t), { rawBody: '{"name": ' }], 400, 'malformed_json');
    });

    it('refuses wrong types with 400 invalid_request naming the field', async () => {
      const body = Object.fromEntries(Object.keys(route.body!(t) as object).map((k) => [k, 12345]));
      const res = await expectRefused([route.method, route.path(t), { body }], 400, 'invalid_request');
      expect(JSON.stringify(res.body.details)).toMatch(new RegExp(Object.keys(body)[0] as string));
    });

    it('refuses unknown fields with 400 invalid_request', async () => {
      const res = await expectRefused(
        [route.method, route.path(t), { body: { ...(route.body!(t) as object), is_admin: true } }],
        400,
        'invalid_request',
      );
      expect(res.body.message).toMatch(/is_admin/);
    });

    it('refuses a body over the size limit with 413 payload_too_large', async () => {
      await expectRefused([route.method, route.path(t), { body: { name: 'x'.repeat(LIMIT * 2) } }], 413, 'payload_too_large');
    });

    it('refuses a non-JSON content type with 415', async () => {
      await expectRefused(
        [route.method, route.path(t), { rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
        415,
        'unsupported_media_type',
      );
    });

    it('refuses a JSON array or null body with 400 invalid_request', async () => {
      await expectRefused([route.method, route.path(t), { rawBody: '[]' }], 400, 'invalid_request');
      await expectRefused([route.method, route.path(t), { rawBody: 'null' }], 400, 'invalid_request');
    });
  });

  describe.each(lists.map((path) => ({ path })))('list $path', ({ path }) => {
    it.each(['!!!', 'eyJub3QiOiJhIGN1cnNvciJ9', 'a'.repeat(600)])('refuses the cursor %s with 400', async (cursor) => {
      const res = await h.json('GET', `${path(t)}?cursor=${encodeURIComponent(cursor)}`);
      expect([res.status, res.body.code]).toEqual([400, cursor.length > 512 ? 'invalid_request' : 'invalid_cursor']);
    });

    it.each(['0', '201', '-1', 'ten', '1.5'])('refuses limit=%s with 400 invalid_request', async (limit) => {
      const res = await h.json('GET', `${path(t)}?limit=${limit}`);
      expect([res.status, res.body.code]).toEqual([400, 'invalid_request']);
    });
  });

  it('refuses a slug that is not a slug', async () => {
    for (const slug of ['Upper', 'has space', '-leading', 'trailing-', 'a'.repeat(64), 'ünï']) {
      await expectRefused(['POST', '/admin/v1/tenants', { body: { name: 'x', slug } }], 400, slug.length > 63 ? 'invalid_request' : 'invalid_slug');
    }
  });

  it('refuses an empty update and a blank name', async () => {
    await expectRefused(['PATCH', `/admin/v1/tenants/${t.id}`, { body: {} }], 400, 'invalid_request');
    await expectRefused(['PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: '   ' } }], 400, 'invalid_request');
  });

  it('refuses unknown scopes and empty scope lists', async () => {
    await expectRefused(['POST', `/admin/v1/tenants/${t.id}/api-keys`, { body: { name: 'k', scopes: ['root'] } }], 400, 'invalid_request');
    await expectRefused(['POST', `/admin/v1/tenants/${t.id}/api-keys`, { body: { name: 'k', scopes: [] } }], 400, 'invalid_request');
  });

  it('refuses bad audit filters', async () => {
    const res = await h.json('GET', `/admin/v1/tenants/${t.id}/audit?since=yesterday`);
    expect([res.status, res.body.code]).toEqual([400, 'invalid_request']);
    const fmt = await h.json('GET', `/admin/v1/tenants/${t.id}/audit/export?format=xml`);
    expect([fmt.status, fmt.body.code]).toEqual([400, 'invalid_request']);
  });

  it('answers unknown routes and unknown ids with 404', async () => {
    expect((await h.json('GET', '/admin/v1/nope')).body.code).toBe('route_not_found');
    expect((await h.json('GET', `/admin/v1/tenants/${'x'.repeat(101)}`)).status).toBe(400);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}/api-keys/key_nope`)).status).toBe(404);
    expect((await h.json('DELETE', `/admin/v1/tenants/${t.id}/api-keys/key_nope`)).status).toBe(404);
  });

  it('refuses a duplicate slug with 409 slug_taken', async () => {
    await expectRefused(['POST', '/admin/v1/tenants', { body: { name: 'Dup', slug: t.slug } }], 409, 'slug_taken');
    const other = await h.createTenant('Other');
    await expectRefused(['PATCH', `/admin/v1/tenants/${other.id}`, { body: { slug: t.slug } }], 409, 'slug_taken');
  });
});
