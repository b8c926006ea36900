import { describe, expect, it } from 'vitest';
import { emptyUserFields, type UserRecord } from '../user.ts';
import { parseProjection, project } from './projection.ts';
import { GROUP_RESOURCE, USER_RESOURCE } from './schema/registry.ts';
import { userResource } from './user-mapper.ts';
import { groupResource } from './group-mapper.ts';

const user: UserRecord = {
  ...emptyUserFields('ada@x.test'),
  id: 'usr_1',
  tenant_id: 'ten_1',
  directory_id: 'dir_1',
  pushed_by_scim: true,
  user_name: 'ada@x.test',
  external_id: 'ext-1',
  display_name: 'Ada',
  nick_name: 'A',
  profile_url: 'https://x.test/ada',
  title: 'Engineer',
  user_type: 'Employee',
  preferred_language: 'en',
  locale: 'en-GB',
  timezone: 'Europe/London',
  name_formatted: 'Ada Lovelace',
  name_family_name: 'Lovelace',
  name_given_name: 'Ada',
  name_middle_name: 'A.',
  name_honorific_prefix: 'Lady',
  name_honorific_suffix: 'II',
  employee_number: '1',
  cost_center: 'cc',
  organization: 'org',
  division: 'div',
  department: 'R&D',
  manager_id: 'usr_2',
  manager_display_name: 'Babbage',
  active: true,
  emails: [{ value: 'ada@x.test', type: 'work', display: 'Ada', primary: true }],
  phone_numbers: [{ value: '+44 1', type: 'work', display: null, primary: false }],
  addresses: [{ formatted: 'f', street_address: 's', locality: 'l', region: 'r', postal_code: 'p', country: 'GB', type: 'work', primary: true }],
  version: 3,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-02T00:00:00.000Z',
};

describe('attribute projection', () => {
  it('returns a fully populated user unchanged when no attributes are asked for, exactly as projecting it attribute by attribute', () => {
    const full = userResource(user, [{ id: 'grp_1', display_name: 'Engineers', external_id: null }], 'https://id.x.test/scim/v2/dir_1');
    const fast = project(full, USER_RESOURCE, parseProjection(USER_RESOURCE));
    const byAttribute = project(full, USER_RESOURCE, { excluded: new Set() });
    expect(byAttribute).not.toBe(full);
    expect(fast).toEqual(byAttribute);
  });

  it('still drops what a group returns only on request (members.display)', () => {
    const full = groupResource({ id: 'grp_1', tenant_id: 'ten_1', directory_id: 'dir_1', display_name: 'Engineers', external_id: null, version: 1, created_at: 'x', updated_at: 'y' }, [{ user_id: 'usr_1', display: 'Ada' }], 'https://id.x.test/scim/v2/dir_1');
    const members = project(full, GROUP_RESOURCE, parseProjection(GROUP_RESOURCE)).members as { display?: string }[];
    expect(members[0]).not.toHaveProperty('display');
    const asked = project(full, GROUP_RESOURCE, parseProjection(GROUP_RESOURCE, 'members.display')).members as { display?: string }[];
    expect(asked[0]?.display).toBe('Ada');
  });
});
