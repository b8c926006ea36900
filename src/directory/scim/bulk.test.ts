import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../../test/helpers/scim.ts';
import { BULK_REQUEST, BULK_RESPONSE } from './schema/urns.ts';

describe('SCIM /Bulk', () => {
  let h: Harness;
  let s: ScimClient;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
  });
  afterEach(() => h.close());

  const bulk = (Operations: unknown[], extra: Record<string, unknown> = {}) => s.call('POST', '/Bulk', { schemas: [BULK_REQUEST], Operations, ...extra });

  it('creates users and a group whose members reference them by bulkId, even when the group comes first', async () => {
    const r = await bulk([
      { method: 'POST', bulkId: 'g', path: '/Groups', data: { displayName: 'Team', members: [{ value: 'bulkId:a' }, { value: 'bulkId:b' }] } },
      { method: 'POST', bulkId: 'a', path: '/Users', data: { userName: 'a@acme.test' } },
      { method: 'POST', bulkId: 'b', path: '/Users', data: { userName: 'b@acme.test' } },
      { method: 'PATCH', path: '/Users/bulkId:a', data: { Operations: [{ op: 'replace', path: 'displayName', value: 'A' }] } },
    ]);
    expect(r.status).toBe(200);
    expect(r.body.schemas).toEqual([BULK_RESPONSE]);
    expect(r.body.Operations.map((o: { status: string }) => o.status)).toEqual(['201', '201', '201', '200']);
    const group = await s.call('GET', `/Groups/${r.body.Operations[0].location.split('/').pop()}`);
    expect(group.body.members).toHaveLength(2);
    expect((await s.call('GET', `/Users/${r.body.Operations[1].location.split('/').pop()}`)).body.displayName).toBe('A');
  });

  it('reports each failed operation in the SCIM error schema and stops after failOnErrors', async () => {
    await s.call('POST', '/Users', { userName: 'taken@acme.test' });
    const r = await bulk(
      [
        { method: 'POST', bulkId: '1', path: '/Users', data: { userName: 'taken@acme.test' } },
        { method: 'DELETE', path: '/Users/usr_missing' },
        { method: 'POST', bulkId: '3', path: '/Users', data: { userName: 'never@acme.test' } },
      ],
      { failOnErrors: 2 },
    );
    expect(r.body.Operations).toEqual([
      expect.objectContaining({ bulkId: '1', status: '409', response: expect.objectContaining({ scimType: 'uniqueness', status: '409' }) }),
      expect.objectContaining({ method: 'DELETE', status: '404' }),
    ]);
    expect((await s.call('GET', `/Users?filter=${encodeURIComponent('userName eq "never@acme.test"')}`)).body.totalResults).toBe(0);
  });

  it('fails circular bulkId references without creating either resource', async () => {
    const r = await bulk([
      { method: 'POST', bulkId: 'x', path: '/Groups', data: { displayName: 'X', members: [{ value: 'bulkId:y' }] } },
      { method: 'POST', bulkId: 'y', path: '/Groups', data: { displayName: 'Y', members: [{ value: 'bulkId:x' }] } },
    ]);
    expect(r.body.Operations.map((o: { status: string }) => o.status)).toEqual(['400', '400']);
    expect((await s.call('GET', '/Groups')).body.totalResults).toBe(0);
  });

  it('refuses a malformed bulk request as a whole', async () => {
    expect((await s.call('POST', '/Bulk', { Operations: [] })).body.scimType).toBe('invalidValue');
    expect((await bulk([{ method: 'POST', path: '/Users', data: {} }])).body.scimType).toBe('invalidValue');
    expect((await bulk([{ method: 'GET', path: '/Users' }])).body.scimType).toBe('invalidValue');
    expect((await bulk([{ method: 'POST', bulkId: 'a', path: '/Elsewhere', data: {} }])).body.scimType).toBe('invalidValue');
  });

  it('advertises its limits in /ServiceProviderConfig', async () => {
    const r = await s.call('GET', '/ServiceProviderConfig');
    expect(r.body.bulk).toEqual({ supported: true, maxOperations: 1000, maxPayloadSize: 1048576 });
    expect(r.body).toMatchObject({ patch: { supported: true }, filter: { supported: true, maxResults: 500 }, etag: { supported: true }, sort: { supported: true }, changePassword: { supported: false } });
  });
});
