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
});
