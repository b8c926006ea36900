import { describe, expect, it } from 'vitest';
import { Normalisations } from '../dialects.ts';
import { GROUP_RESOURCE, USER_RESOURCE } from '../schema/registry.ts';
import { ENTERPRISE_USER_SCHEMA, PATCH_OP } from '../schema/urns.ts';
import type { ScimObject } from '../doc.ts';
import { applyPatch } from './apply.ts';
import { parsePatchRequest } from './request.ts';

const user: ScimObject = {
  userName: 'ada@example.com',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
};

function patch(doc: ScimObject, operations: unknown[], resource = USER_RESOURCE) {
  const n = new Normalisations(undefined);
  const ops = parsePatchRequest({ schemas: [PATCH_OP], Operations: operations }, resource, n);
  return { doc: applyPatch(doc, ops, resource, n, 'usr_1'), rules: n.entries.map((e) => e.rule) };
}

describe('PATCH engine', () => {
  it('reads Entra capitalised ops and "False" strings, noting both deviations', () => {
    const { doc, rules } = patch(user, [{ op: 'Replace', path: 'active', value: 'False' }]);
    expect(doc.active).toBe(false);
    expect(rules).toEqual(['op_case', 'boolean_string']);
  });

  it("applies Okta's path-less replace of {active: false}", () => {
    const { doc, rules } = patch(user, [{ op: 'replace', value: { active: false } }]);
    expect(doc.active).toBe(false);
    expect(rules).toEqual([]);
  });

  it('replaces the sub-attribute of the values a filter selects, case-insensitively', () => {
    const { doc } = patch(user, [{ op: 'replace', path: 'emails[type eq "WORK"].value', value: 'new@example.com' }]);
    expect(doc.emails).toEqual([{ value: 'new@example.com', type: 'work', primary: true }]);
  });

  it('creates the value when a filtered replace matches nothing (Entra), and notes it', () => {
    const { doc, rules } = patch(user, [{ op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555' }]);
    expect(doc.phoneNumbers).toEqual([{ type: 'mobile', value: '+1 555' }]);
    expect(rules).toContain('filtered_path_created');
  });

  it('answers noTarget when a filter that cannot seed a value matches nothing', () => {
    expect(() => patch(user, [{ op: 'replace', path: 'emails[value co "zzz"].type', value: 'home' }])).toThrowError(
      expect.objectContaining({ status: 400, scimType: 'noTarget' }),
    );
  });

  it('reads path-less values keyed by attribute paths (Entra with aadOptscim062020)', () => {
    const { doc, rules } = patch(user, [
      { op: 'replace', value: { displayName: 'Ada L', 'name.givenName': 'Augusta', [`${ENTERPRISE_USER_SCHEMA}:employeeNumber`]: '42' } },
    ]);
    expect(doc).toMatchObject({ displayName: 'Ada L', name: { givenName: 'Augusta', familyName: 'Lovelace' }, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '42' } });
    expect(rules).toContain('value_key_path');
  });

  it('reads Entra\'s unqualified manager path with a one-element array value', () => {
    const { doc, rules } = patch(user, [{ op: 'Add', path: 'manager', value: [{ $ref: 'http://x/Users/m1', value: 'm1' }] }]);
    expect(doc[ENTERPRISE_USER_SCHEMA]).toEqual({ manager: { value: 'm1', $ref: 'http://x/Users/m1' } });
    expect(rules).toEqual(expect.arrayContaining(['extension_unqualified', 'single_value_as_array']));
  });

  it('adds and removes members in one request, by value filter and by value list', () => {
    const group: ScimObject = { displayName: 'G', members: [{ value: 'u1' }, { value: 'u2' }, { value: 'u3' }] };
    const { doc, rules } = patch(
      group,
      [
        { op: 'remove', path: 'members[value eq "u1"]' },
        { op: 'Remove', path: 'members', value: [{ value: 'u2' }] },
        { op: 'add', path: 'members', value: [{ value: 'u4', display: 'ignored' }, { value: 'u3' }] },
      ],
      GROUP_RESOURCE,
    );
    expect(doc.members).toEqual([{ value: 'u3' }, { value: 'u4' }]);
    expect(rules).toContain('remove_with_value');
  });

  it('ignores an id equal to the resource id in a path-less value (Okta group rename) but refuses another', () => {
    expect(patch(user, [{ op: 'replace', value: { id: 'usr_1', displayName: 'X' } }]).doc.displayName).toBe('X');
    expect(() => patch(user, [{ op: 'replace', value: { id: 'usr_2' } }])).toThrowError(expect.objectContaining({ scimType: 'mutability' }));
  });

  it('refuses read-only targets, required removals, unknown paths and malformed filters', () => {
    expect(() => patch(user, [{ op: 'replace', path: 'groups', value: [] }])).toThrowError(expect.objectContaining({ scimType: 'mutability' }));
    expect(() => patch(user, [{ op: 'remove', path: 'userName' }])).toThrowError(expect.objectContaining({ scimType: 'mutability' }));
    expect(() => patch(user, [{ op: 'add', path: 'shoeSize', value: '9' }])).toThrowError(expect.objectContaining({ scimType: 'invalidPath' }));
    expect(() => patch(user, [{ op: 'add', path: 'emails[type eq]', value: 'x' }])).toThrowError(expect.objectContaining({ scimType: 'invalidPath' }));
    expect(() => patch(user, [{ op: 'remove' }])).toThrowError(expect.objectContaining({ scimType: 'noTarget' }));
    expect(() => patch(user, [{ op: 'move', path: 'userName' }])).toThrowError(expect.objectContaining({ scimType: 'invalidSyntax' }));
  });

  it('is all or nothing: a failing later operation leaves the input document untouched', () => {
    const before = structuredClone(user);
    expect(() => patch(user, [{ op: 'replace', path: 'displayName', value: 'changed' }, { op: 'add', path: 'nope', value: 1 }])).toThrow();
    expect(user).toEqual(before);
  });

  it('drops the values whose value sub-attribute a PATCH empties or removes, instead of keeping values without one', () => {
    const two: ScimObject = { ...user, emails: [{ value: 'w@x', type: 'work' }, { value: 'h@x', type: 'home' }] };
    expect(patch(two, [{ op: 'remove', path: 'emails[type eq "work"].value' }]).doc.emails).toEqual([{ value: 'h@x', type: 'home' }]);
    const cleared = patch(two, [{ op: 'replace', path: 'emails.value', value: '' }]);
    expect(cleared.doc.emails).toBeUndefined();
    expect(cleared.rules).toContain('empty_string_unassigned');
    expect(patch(two, [{ op: 'add', path: 'emails', value: [{ value: '', type: 'other' }] }]).doc.emails).toEqual(two.emails);
  });

  it('appends to multi-valued attributes without duplicating an existing value', () => {
    const { doc } = patch(user, [{ op: 'add', path: 'emails', value: [{ value: 'ada@example.com', type: 'work', primary: true }, { value: 'b@x', type: 'home' }] }]);
    expect(doc.emails).toEqual([
      { value: 'ada@example.com', type: 'work', primary: true },
      { value: 'b@x', type: 'home' },
    ]);
  });
});
