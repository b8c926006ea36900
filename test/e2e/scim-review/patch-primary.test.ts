import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { scimClient, type ScimClient } from '../../helpers/scim.ts';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const patch = (...ops: unknown[]) => ({ schemas: [PATCH_OP], Operations: ops });

/** RFC 7644 §3.5.2: a PATCH that sets primary to true sets it to false on the attribute's other values. */
describe('SCIM PATCH making a value primary', () => {
  let h: Harness;
  let s: ScimClient;
  let id: string;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
    id = (
      await s.call('POST', '/Users', {
        userName: 'ada@acme.test',
        emails: [
          { value: 'work@acme.test', type: 'work' },
          { value: 'home@acme.test', type: 'home', primary: true },
        ],
        addresses: [
          { type: 'work', streetAddress: '1 Work St' },
          { type: 'home', streetAddress: '2 Home St', primary: true },
        ],
      })
    ).body.id;
  });
  afterEach(() => h.close());

  const primaries = async (attr: 'emails' | 'addresses') =>
    ((await s.call('GET', `/Users/${id}`)).body[attr] as { type: string; primary?: boolean }[]).filter((v) => v.primary).map((v) => v.type);

  it('moves primary to the value a filtered path selects, even when it comes before the current primary (Entra)', async () => {
    const r = await s.call('PATCH', `/Users/${id}`, patch({ op: 'Replace', path: 'emails[type eq "work"].primary', value: 'True' }));
    expect(r.status).toBe(200);
    expect(await primaries('emails')).toEqual(['work']);
    await s.call('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'addresses[type eq "work"].primary', value: true }));
    expect(await primaries('addresses')).toEqual(['work']);
  });

  it('moves primary to a whole value replaced through a filter, and to a value a filtered path creates', async () => {
    await s.call('PATCH', `/Users/${id}`, patch({ op: 'replace', path: 'emails[type eq "work"]', value: { value: 'new@acme.test', type: 'work', primary: true } }));
    expect(await primaries('emails')).toEqual(['work']);
    await s.call('PATCH', `/Users/${id}`, patch({ op: 'add', path: 'emails[type eq "other"]', value: { value: 'o@acme.test', primary: true } }));
    expect(await primaries('emails')).toEqual(['other']);
  });
});
