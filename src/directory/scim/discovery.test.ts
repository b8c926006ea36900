import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../../test/helpers/scim.ts';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './schema/urns.ts';

describe('SCIM discovery', () => {
  let h: Harness;
  let s: ScimClient;
  beforeAll(async () => {
    h = new Harness();
    s = await scimClient(h);
  });
  afterAll(() => h.close());

  it('lists the User and Group resource types with the enterprise extension', async () => {
    const r = await s.call('GET', '/ResourceTypes');
    expect(r.body.Resources).toEqual([
      expect.objectContaining({ id: 'User', endpoint: '/Users', schema: USER_SCHEMA, schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }] }),
      expect.objectContaining({ id: 'Group', endpoint: '/Groups', schema: GROUP_SCHEMA, schemaExtensions: [] }),
    ]);
    expect((await s.call('GET', '/ResourceTypes/Group')).body.endpoint).toBe('/Groups');
    expect((await s.call('GET', '/ResourceTypes/Device')).status).toBe(404);
  });

  it('describes only attributes it stores: no password, roles or photos', async () => {
    const user = (await s.call('GET', `/Schemas/${USER_SCHEMA}`)).body;
    const names = user.attributes.map((a: { name: string }) => a.name);
    expect(names).toEqual(expect.arrayContaining(['userName', 'name', 'emails', 'phoneNumbers', 'addresses', 'active', 'groups']));
    for (const missing of ['password', 'roles', 'entitlements', 'ims', 'photos', 'x509Certificates']) expect(names).not.toContain(missing);
    expect(user.attributes.find((a: { name: string }) => a.name === 'userName')).toMatchObject({ required: true, caseExact: false, uniqueness: 'server' });
    const ext = (await s.call('GET', `/Schemas/${ENTERPRISE_USER_SCHEMA}`)).body;
    expect(ext.attributes.map((a: { name: string }) => a.name)).toEqual(['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager']);
    expect((await s.call('GET', '/Schemas/urn:example:nope')).status).toBe(404);
  });

  it('round-trips every writable attribute it describes (references are derived from their value)', async () => {
    const schemas = (await s.call('GET', '/Schemas')).body.Resources as { id: string; attributes: Attr[] }[];
    type Attr = { name: string; type: string; multiValued: boolean; mutability: string; subAttributes?: Attr[] };
    const sample = (a: Attr): unknown => {
      if (a.type === 'complex') {
        const v = Object.fromEntries((a.subAttributes ?? []).filter((x) => x.mutability !== 'readOnly' && x.name !== '$ref').map((x) => [x.name, sample(x)]));
        return a.multiValued ? [v] : v;
      }
      const v = a.type === 'boolean' ? true : a.type === 'reference' ? `https://example.com/${a.name}` : `${a.name}-value`;
      return a.multiValued ? [v] : v;
    };
    const body: Record<string, unknown> = { schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA] };
    for (const schema of schemas.filter((x) => x.id !== GROUP_SCHEMA)) {
      const target = schema.id === USER_SCHEMA ? body : ((body[schema.id] = {}) as Record<string, unknown>);
      for (const a of schema.attributes.filter((x) => x.mutability !== 'readOnly')) target[a.name] = sample(a);
    }
    const created = await s.call('POST', '/Users', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { schemas: _s, ...written } = body;
    expect((await s.call('GET', `/Users/${created.body.id}`)).body).toMatchObject(written);
  });

  it('searches with POST /Users/.search', async () => {
    await s.call('POST', '/Users', { userName: 'search.me@acme.test' });
    const r = await s.call('POST', '/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName sw "search"', attributes: ['userName'], count: 10 });
    expect(r.body).toMatchObject({ totalResults: 1, Resources: [{ userName: 'search.me@acme.test' }] });
    expect(r.body.Resources[0].meta).toBeUndefined();
  });
});
