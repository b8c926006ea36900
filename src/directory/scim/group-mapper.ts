import type { GroupFields, GroupMember, GroupRecord } from '../group.ts';
import { compact, isObject, type ScimObject } from './doc.ts';
import { invalidValue } from './errors.ts';
import { GROUP_SCHEMA } from './schema/urns.ts';
import { resourceMeta } from './meta.ts';

/** The writable attributes of a group as a canonical document (members as `{value, type}`). */
export function groupToDoc(g: GroupFields, members: readonly GroupMember[] | undefined): ScimObject {
  return compact({
    displayName: g.display_name,
    externalId: g.external_id,
    members: members?.map((m) => ({ value: m.user_id, type: 'User' })),
  });
}

/** Reads fields and member ids from a document; members are users only. */
export function groupFromDoc(doc: ScimObject): { fields: GroupFields; memberIds: string[] } {
  const displayName = doc.displayName;
  if (typeof displayName !== 'string' || displayName.trim() === '') throw invalidValue("'displayName' is required.");
  const members = Array.isArray(doc.members) ? doc.members : [];
  const memberIds = members.map((m, i) => {
    if (!isObject(m) || typeof m.value !== 'string' || m.value === '') throw invalidValue(`'members[${i}].value' is required.`);
    if (typeof m.type === 'string' && m.type.toLowerCase() !== 'user') throw invalidValue('Only users can be group members (no nested groups).');
    return m.value;
  });
  return { fields: { display_name: displayName, external_id: typeof doc.externalId === 'string' ? doc.externalId : null }, memberIds: [...new Set(memberIds)] };
}

/** The full resource. `members` undefined: not loaded (excluded by the request). */
export function groupResource(g: GroupRecord, members: readonly GroupMember[] | undefined, baseUrl: string): ScimObject {
  const doc = groupToDoc(g, undefined);
  return {
    schemas: [GROUP_SCHEMA],
    id: g.id,
    ...doc,
    ...(members && members.length > 0
      ? { members: members.map((m) => ({ value: m.user_id, $ref: `${baseUrl}/Users/${m.user_id}`, type: 'User', display: m.display })) }
      : {}),
    meta: resourceMeta('Group', g, `${baseUrl}/Groups/${g.id}`),
  };
}
