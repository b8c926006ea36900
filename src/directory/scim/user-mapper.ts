import type { ContactValue, PostalAddress, UserFields, UserRecord } from '../user.ts';
import type { DirectoryGroupRef } from '../lookup.ts';
import { compact, isObject, type ScimObject, type ScimValue } from './doc.ts';
import { invalidValue } from './errors.ts';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from './schema/urns.ts';
import { resourceMeta } from './meta.ts';

const NAME_PARTS = [
  ['formatted', 'name_formatted'],
  ['familyName', 'name_family_name'],
  ['givenName', 'name_given_name'],
  ['middleName', 'name_middle_name'],
  ['honorificPrefix', 'name_honorific_prefix'],
  ['honorificSuffix', 'name_honorific_suffix'],
] as const;

const SIMPLE = [
  ['userName', 'user_name'],
  ['externalId', 'external_id'],
  ['displayName', 'display_name'],
  ['nickName', 'nick_name'],
  ['profileUrl', 'profile_url'],
  ['title', 'title'],
  ['userType', 'user_type'],
  ['preferredLanguage', 'preferred_language'],
  ['locale', 'locale'],
  ['timezone', 'timezone'],
] as const;

const ENTERPRISE = [
  ['employeeNumber', 'employee_number'],
  ['costCenter', 'cost_center'],
  ['organization', 'organization'],
  ['division', 'division'],
  ['department', 'department'],
] as const;

const ADDRESS_PARTS = [
  ['formatted', 'formatted'],
  ['streetAddress', 'street_address'],
  ['locality', 'locality'],
  ['region', 'region'],
  ['postalCode', 'postal_code'],
  ['country', 'country'],
  ['type', 'type'],
] as const;

/** The writable attributes of a stored user as a canonical SCIM document. */
export function userToDoc(u: UserFields): ScimObject {
  const doc: ScimObject = {};
  for (const [attr, col] of SIMPLE) doc[attr] = u[col];
  doc.name = Object.fromEntries(NAME_PARTS.map(([attr, col]) => [attr, u[col]]));
  doc.active = u.active;
  // An empty value is unassigned: a contact stored with "" by an earlier version is no contact.
  doc.emails = u.emails.filter((c) => c.value !== '').map(contactToDoc);
  doc.phoneNumbers = u.phone_numbers.filter((c) => c.value !== '').map(contactToDoc);
  doc.addresses = u.addresses.map((a) => ({ ...Object.fromEntries(ADDRESS_PARTS.map(([attr, col]) => [attr, a[col]])), primary: a.primary }));
  const ext: ScimObject = Object.fromEntries(ENTERPRISE.map(([attr, col]) => [attr, u[col]]));
  ext.manager = u.manager_id ? { value: u.manager_id, displayName: u.manager_display_name } : null;
  doc[ENTERPRISE_USER_SCHEMA] = ext;
  return compact(doc);
}

/**
 * Reads a canonical document into user fields. `previous` supplies `active` when the document
 * leaves it out (a PUT without `active` does not reactivate or deactivate anyone).
 */
export function userFromDoc(doc: ScimObject, previous?: Pick<UserFields, 'active'>): UserFields {
  const userName = doc.userName;
  if (typeof userName !== 'string' || userName.trim() === '') throw invalidValue("'userName' is required.");
  const name = isObject(doc.name) ? doc.name : {};
  const ext = isObject(doc[ENTERPRISE_USER_SCHEMA]) ? (doc[ENTERPRISE_USER_SCHEMA] as ScimObject) : {};
  const manager = isObject(ext.manager) ? ext.manager : {};
  const fields = {
    active: typeof doc.active === 'boolean' ? doc.active : (previous?.active ?? true),
    manager_id: text(manager.value),
    manager_display_name: text(manager.value) === null ? null : text(manager.displayName),
    emails: contacts(doc.emails, 'emails').map((e) => ({ ...e, value: e.value.normalize('NFC') })),
    phone_numbers: contacts(doc.phoneNumbers, 'phoneNumbers'),
    addresses: onePrimary(list(doc.addresses).map(address)),
  } as UserFields;
  const columns = fields as unknown as Record<string, string | null>;
  for (const [attr, col] of SIMPLE) columns[col] = text(doc[attr]);
  for (const [attr, col] of NAME_PARTS) columns[col] = text(name[attr]);
  for (const [attr, col] of ENTERPRISE) columns[col] = text(ext[attr]);
  fields.user_name = userName.normalize('NFC');
  return fields;
}

/** The full resource as returned by the API (before attribute projection). */
export function userResource(u: UserRecord, groups: DirectoryGroupRef[], baseUrl: string): ScimObject {
  const doc = userToDoc(u);
  const ext = doc[ENTERPRISE_USER_SCHEMA];
  if (isObject(ext) && isObject(ext.manager)) ext.manager.$ref = `${baseUrl}/Users/${u.manager_id}`;
  return {
    schemas: isObject(ext) ? [USER_SCHEMA, ENTERPRISE_USER_SCHEMA] : [USER_SCHEMA],
    id: u.id,
    ...doc,
    ...(groups.length > 0
      ? { groups: groups.map((g) => ({ value: g.id, $ref: `${baseUrl}/Groups/${g.id}`, display: g.display_name, type: 'direct' })) }
      : {}),
    meta: resourceMeta('User', u, `${baseUrl}/Users/${u.id}`),
  };
}

function contactToDoc(c: ContactValue): ScimObject {
  return { value: c.value, display: c.display, type: c.type, primary: c.primary };
}

function contacts(raw: ScimValue | undefined, where: string): ContactValue[] {
  const values = list(raw).map((v, i) => {
    if (!isObject(v) || typeof v.value !== 'string') throw invalidValue(`'${where}[${i}].value' is required.`);
    return { value: v.value, type: text(v.type), display: text(v.display), primary: typeof v.primary === 'boolean' ? v.primary : null };
  });
  return onePrimary(values);
}

function address(v: ScimValue): PostalAddress {
  if (!isObject(v)) throw invalidValue("'addresses' values must be objects.");
  const a = { primary: typeof v.primary === 'boolean' ? v.primary : null } as PostalAddress;
  for (const [attr, col] of ADDRESS_PARTS) a[col] = text(v[attr]);
  return a;
}

/** RFC 7643 §2.4: 'primary' true appears at most once; the last one set wins (a PATCH add of a new primary). */
function onePrimary<T extends { primary: boolean | null }>(values: T[]): T[] {
  const last = values.map((v) => v.primary).lastIndexOf(true);
  return values.map((v, i) => (v.primary === true && i !== last ? { ...v, primary: false } : v));
}

const list = (v: ScimValue | undefined): ScimValue[] => (Array.isArray(v) ? v : []);
const text = (v: ScimValue | undefined): string | null => (typeof v === 'string' && v !== '' ? v : null);
