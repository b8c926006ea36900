import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../../../test/helpers/harness.ts';
import { scimClient, scimClientFor, type ScimClient } from '../../../../test/helpers/scim.ts';
import { BULK_REQUEST } from '../schema/urns.ts';
import { SCIM_LIMITS } from '../limits.ts';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('SCIM security and bad input', () => {
  let h: Harness;
  let s: ScimClient;
  let userId: string;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
    userId = (await s.call('POST', '/Users', { userName: 'ada@acme.test' })).body.id;
  });
  afterEach(() => h.close());

  const raw = (method: string, path: string, o: { key?: string | null; body?: string; headers?: Record<string, string> } = {}) =>
    h.json(method, `${s.base}${path}`, { key: o.key === undefined ? s.token : o.key, rawBody: o.body, headers: o.headers });

  const userCount = async () => (await s.call('GET', '/Users')).body.totalResults;

  it('answers 401 with WWW-Authenticate and a SCIM error without a token, with a bad one, or with an API key', async () => {
    for (const key of [null, 'nonsense', `${s.token.slice(0, -2)}xx`, h.platformKey]) {
      const r = await raw('GET', '/Users', { key });
      expect(r.status).toBe(401);
      expect(r.res.headers.get('www-authenticate')).toMatch(/^Bearer realm="portcullis-scim"/);
      expect(r.res.headers.get('content-type')).toBe('application/scim+json');
      expect(r.body).toMatchObject({ schemas: [ERROR], status: '401' });
    }
  });

  it("answers 404 to another tenant's token, and never shows that tenant's users", async () => {
    const other = await scimClient(h, 'Other');
    const r = await raw('GET', `/Users/${userId}`, { key: other.token });
    expect(r.status).toBe(404);
    expect((await other.call('GET', `/Users/${userId}`)).status).toBe(404);
    expect((await other.call('GET', '/Users')).body.totalResults).toBe(0);
  });

  it("keeps another directory of the same tenant apart: its token is 404 here, its resources are 404 there", async () => {
    const second = await scimClientFor(h, s.tenantId, s.storeId);
    expect((await raw('GET', '/Users', { key: second.token })).status).toBe(404);
    expect((await second.call('GET', `/Users/${userId}`)).status).toBe(404);
    expect((await second.call('PATCH', `/Users/${userId}`, { Operations: [{ op: 'replace', path: 'active', value: false }] })).status).toBe(404);
    expect((await second.call('DELETE', `/Users/${userId}`)).status).toBe(404);
    expect((await s.call('GET', `/Users/${userId}`)).body.active).toBe(true);
  });

  it('stops accepting a revoked token and the tokens of a deleted directory', async () => {
    const second = await h.json('POST', `/admin/v1/tenants/${s.tenantId}/scim/directories/${s.directoryId}/tokens`, { body: { name: 'rotation' } });
    const tokens = await h.json('GET', `/admin/v1/tenants/${s.tenantId}/scim/directories/${s.directoryId}/tokens`);
    const first = tokens.body.data.find((t: { id: string }) => t.id !== second.body.id);
    await h.json('DELETE', `/admin/v1/tenants/${s.tenantId}/scim/directories/${s.directoryId}/tokens/${first.id}`);
    expect((await raw('GET', '/Users')).status).toBe(401);
    expect((await raw('GET', '/Users', { key: second.body.token })).status).toBe(200);
    await h.json('DELETE', `/admin/v1/tenants/${s.tenantId}/scim/directories/${s.directoryId}`);
    expect((await raw('GET', '/Users', { key: second.body.token })).status).toBe(401);
  });

  it('answers 403 while the tenant is suspended', async () => {
    await h.json('POST', `/admin/v1/tenants/${s.tenantId}/suspend`);
    const r = await raw('GET', '/Users');
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ schemas: [ERROR], status: '403' });
  });

  it('rate limits per token with 429 and Retry-After', async () => {
    const limited = new Harness({ rateLimitBurst: 3, rateLimitPerSecond: 0.01 });
    try {
      const c = await scimClient(limited);
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await c.call('GET', '/Users')).status);
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      const r = await c.call('GET', '/Users');
      expect(r.status).toBe(429);
      expect(Number(r.res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(r.body).toMatchObject({ schemas: [ERROR], status: '429' });
    } finally {
      await limited.close();
    }
  });

  it('answers malformed JSON with 400 invalidSyntax and another media type with 415, creating nothing', async () => {
    const bad = await raw('POST', '/Users', { body: '{"userName": ', headers: { 'content-type': 'application/scim+json' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
    const xml = await raw('POST', '/Users', { body: '<user/>', headers: { 'content-type': 'application/xml' } });
    expect(xml.status).toBe(415);
    expect(await userCount()).toBe(1);
  });

  it('refuses unknown attributes and wrongly typed values with invalidValue, creating nothing', async () => {
    for (const body of [
      { userName: 'x@acme.test', shoeSize: 44 },
      { userName: 'x@acme.test', name: { nickname: 'x' } },
      { userName: 'x@acme.test', active: 'perhaps' },
      { userName: 'x@acme.test', emails: [{ type: 'work' }] },
      { userName: 'x@acme.test', roles: [{ value: 'admin' }] },
      { displayName: 'no userName' },
    ]) {
      const r = await s.call('POST', '/Users', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.scimType).toBe('invalidValue');
    }
    expect(await userCount()).toBe(1);
  });

  it('applies no part of a PATCH whose later operation fails', async () => {
    const r = await s.call('PATCH', `/Users/${userId}`, {
      Operations: [
        { op: 'replace', path: 'displayName', value: 'changed' },
        { op: 'replace', path: 'active', value: false },
        { op: 'add', path: 'emails[type eq "work"', value: 'x' },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.body.scimType).toBe('invalidPath');
    const u = await s.call('GET', `/Users/${userId}`);
    expect(u.body).toMatchObject({ active: true, meta: { version: 'W/"1"' } });
    expect(u.body.displayName).toBeUndefined();
  });

  it('answers an oversized body and an oversized bulk with 413, creating nothing', async () => {
    const huge = await s.call('POST', '/Users', { userName: 'big@acme.test', displayName: 'x'.repeat(SCIM_LIMITS.maxPayloadSize) });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ schemas: [ERROR], status: '413' });
    const ops = Array.from({ length: SCIM_LIMITS.bulkMaxOperations + 1 }, (_, i) => ({ method: 'POST', bulkId: `b${i}`, path: '/Users', data: { userName: `u${i}@acme.test` } }));
    const bulk = await s.call('POST', '/Bulk', { schemas: [BULK_REQUEST], Operations: ops });
    expect(bulk.status).toBe(413);
    expect(bulk.body).toMatchObject({ status: '413', scimType: 'tooMany' });
    expect(await userCount()).toBe(1);
  });

  it('answers an unknown endpoint with a SCIM 404 and unsupported methods with 405', async () => {
    const r = await s.call('GET', '/Widgets');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ schemas: [ERROR], status: '404' });
    expect((await s.call('DELETE', '/Schemas')).status).toBe(405);
    expect((await s.call('PUT', '/Users', {})).status).toBe(405);
  });
});
