import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { scimClient, type ScimClient } from '../../helpers/scim.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

describe('SCIM filters on sub-attributes of multi-valued attributes', () => {
  let h: Harness;
  let s: ScimClient;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
  });
  afterEach(() => h.close());

  const ids = async (resource: 'Users' | 'Groups', filter: string) => {
    const r = await s.call('GET', `/${resource}?filter=${encodeURIComponent(filter)}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return (r.body.Resources as { id: string }[]).map((x) => x.id).sort();
  };

  it('reads fully qualified (URN-prefixed) paths of multi-valued attributes as their short names (RFC 7644 §3.10)', async () => {
    const ada = (await s.call('POST', '/Users', { userName: 'ada@acme.test', emails: [{ value: 'ada@acme.test', type: 'work' }] })).body.id;
    await s.call('POST', '/Users', { userName: 'bob@acme.test', emails: [{ value: 'bob@acme.test', type: 'work' }] });
    const group = (await s.call('POST', '/Groups', { displayName: 'Eng', members: [{ value: ada }] })).body.id;
    expect(await ids('Users', `${USER}:emails.value eq "ada@acme.test"`)).toEqual([ada]);
    expect(await ids('Users', `${USER}:emails eq "ada@acme.test"`)).toEqual([ada]);
    expect(await ids('Users', `${USER}:emails.type eq "work" and ${USER}:userName sw "ada"`)).toEqual([ada]);
    expect(await ids('Groups', `${GROUP}:members.value eq "${ada}"`)).toEqual([group]);
    expect(await ids('Groups', `${GROUP}:members eq "${ada}"`)).toEqual([group]);
  });

  it('"pr" on a sub-attribute of a multi-valued attribute asks for that sub-attribute, not for any value', async () => {
    const withDisplay = (await s.call('POST', '/Users', { userName: 'a@acme.test', emails: [{ value: 'a@acme.test', display: 'Ada' }] })).body.id;
    const withoutDisplay = (await s.call('POST', '/Users', { userName: 'b@acme.test', emails: [{ value: 'b@acme.test', type: 'work' }] })).body.id;
    const street = (await s.call('POST', '/Users', { userName: 'c@acme.test', addresses: [{ streetAddress: '1 Main St', type: 'work' }] })).body.id;
    const cityOnly = (await s.call('POST', '/Users', { userName: 'd@acme.test', addresses: [{ locality: 'Paris', type: 'home' }] })).body.id;
    expect(await ids('Users', 'emails.display pr')).toEqual([withDisplay]);
    expect(await ids('Users', 'emails.type pr')).toEqual([withoutDisplay]);
    expect(await ids('Users', 'addresses.streetAddress pr')).toEqual([street]);
    expect(await ids('Users', 'not (addresses.streetAddress pr) and addresses pr')).toEqual([cityOnly]);
    expect(await ids('Users', 'emails pr')).toEqual([withDisplay, withoutDisplay].sort());
    expect(await ids('Users', 'emails.value pr')).toEqual([withDisplay, withoutDisplay].sort());
  });
});
