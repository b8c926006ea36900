import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { scimClient, type ScimClient } from '../../helpers/scim.ts';

/** Misbehaviour the route guard turned up, each pinned by a focused test. */
describe('route guard findings', () => {
  let h: Harness;
  let s: ScimClient;
  beforeAll(async () => {
    h = new Harness();
    s = await scimClient(h);
  });
  afterAll(() => h.close());

  it('answers a SCIM search across resource types with 501 and its reason, not as an internal error, and logs no error', async () => {
    const r = await s.call('POST', '/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName eq "x"' });
    expect(r.status).toBe(501);
    expect(r.body.detail).toMatch(/not supported: use \/Users\/\.search or \/Groups\/\.search/);
    await h.services.logger.flush();
    const errors = h.logs.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);
    expect(errors.map((l) => l.msg)).toEqual([]);
  });

  it("refuses a suspended tenant's key listing stores (403 forbidden), as every other store route and the admin tenant list do", async () => {
    const t = await h.createTenant('Paused');
    const key = (await h.tenantKey(t.id, ['authz:read', 'admin'])).key;
    expect((await h.json('GET', '/stores', { key })).body.stores.map((x: { id: string }) => x.id)).toEqual([t.authz_store_id]);
    await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`);
    const listed = await h.json('GET', '/stores', { key });
    expect([listed.status, listed.body]).toEqual([403, { code: 'forbidden', message: 'The tenant is suspended.' }]);
    expect((await h.json('GET', `/stores/${t.authz_store_id}`, { key })).status).toBe(403);
    expect((await h.json('GET', '/admin/v1/tenants', { key })).body.code).toBe('tenant_suspended');
  });

  it('answers SAML metadata for an unknown or non-SAML connection with the JSON 404 not_found the ACS and the callback give, not plain text', async () => {
    const t = await h.createTenant('Metadata');
    const oidc = await h.json('POST', `/admin/v1/tenants/${t.id}/connections`, { body: { name: 'o', protocol: 'oidc', oidc: { issuer: 'https://idp.example', client_id: 'c' } } });
    expect(oidc.status).toBe(201);
    const acs = await h.json('POST', '/sso/saml/conn_01ARZ3NDEKTSV4RRFFQ69G5FAV/acs', { key: null, rawBody: 'SAMLResponse=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    for (const id of ['conn_01ARZ3NDEKTSV4RRFFQ69G5FAV', oidc.body.id]) {
      const r = await h.json('GET', `/sso/saml/${id}/metadata`, { key: null });
      expect([r.status, r.res.headers.get('content-type'), r.body.code, r.body.message]).toEqual([404, 'application/json', 'not_found', acs.body.message]);
    }
  });

  it('refuses a /stores body nested absurdly deep with 400 validation_error instead of overflowing the stack (500)', async () => {
    const t = await h.createTenant('Deep');
    const store = `/stores/${t.authz_store_id}`;
    const model = (await h.json('GET', `${store}/authorization-models`)).body.authorization_models[0].id;
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const tk = '{"user":"user:a","relation":"member","object":"organization:x"}';
    const cases: [string, string, string][] = [
      ['POST', `${store}/check`, `{"tuple_key":${tk},"context":${deep}}`],
      ['POST', `${store}/batch-check`, `{"checks":[{"tuple_key":${tk},"correlation_id":"c","context":${deep}}]}`],
      ['POST', `${store}/list-objects`, `{"type":"organization","relation":"member","user":"user:a","context":${deep}}`],
      ['POST', `${store}/list-users`, `{"object":{"type":"organization","id":"x"},"relation":"member","user_filters":[{"type":"user"}],"context":${deep}}`],
      ['PUT', `${store}/assertions/${model}`, `{"assertions":[{"tuple_key":${tk},"expectation":true,"context":${deep}}]}`],
      ['POST', `${store}/authorization-models`, `{"schema_version":"1.1","type_definitions":[{"type":"user","relations":${deep}}]}`],
    ];
    const events = [...h.services.audit.export(t.id, {})].length;
    for (const [method, path, rawBody] of cases) {
      const r = await h.json(method, path, { rawBody });
      expect([path, r.status, r.body.code]).toEqual([path, 400, 'validation_error']);
    }
    expect([...h.services.audit.export(t.id, {})]).toHaveLength(events);
    const shallow = await h.json('POST', `${store}/check`, { rawBody: `{"tuple_key":${tk},"context":${'{"a":'.repeat(50)}1${'}'.repeat(50)}}` });
    expect(shallow.status).toBe(200);
  });
});
