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
});
