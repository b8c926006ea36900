import type { DirectoryUser } from './lookup.ts';

/** One value of a multi-valued string attribute (emails, phone numbers). */
export interface ContactValue {
  value: string;
  type: string | null;
  display: string | null;
  /** As sent: null when the client did not say. */
  primary: boolean | null;
}

export interface PostalAddress {
  type: string | null;
  formatted: string | null;
  street_address: string | null;
  locality: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  primary: boolean | null;
}

/** Everything about a user that a client may write (SCIM core + enterprise extension). */
export interface UserFields {
  user_name: string;
  external_id: string | null;
  active: boolean;
  display_name: string | null;
  nick_name: string | null;
  profile_url: string | null;
  title: string | null;
  user_type: string | null;
  preferred_language: string | null;
  locale: string | null;
  timezone: string | null;
  name_formatted: string | null;
  name_family_name: string | null;
  name_given_name: string | null;
  name_middle_name: string | null;
  name_honorific_prefix: string | null;
  name_honorific_suffix: string | null;
  employee_number: string | null;
  cost_center: string | null;
  organization: string | null;
  division: string | null;
  department: string | null;
  manager_id: string | null;
  manager_display_name: string | null;
  emails: ContactValue[];
  phone_numbers: ContactValue[];
  addresses: PostalAddress[];
}

/** The scalar columns of `directory_users` that UserFields maps one to one. */
export const USER_SCALAR_COLUMNS = [
  'user_name',
  'external_id',
  'display_name',
  'nick_name',
  'profile_url',
  'title',
  'user_type',
  'preferred_language',
  'locale',
  'timezone',
  'name_formatted',
  'name_family_name',
  'name_given_name',
  'name_middle_name',
  'name_honorific_prefix',
  'name_honorific_suffix',
  'employee_number',
  'cost_center',
  'organization',
  'division',
  'department',
  'manager_id',
  'manager_display_name',
] as const satisfies readonly (keyof UserFields)[];

/** A stored user: the fields plus identity, ownership and bookkeeping. */
export interface UserRecord extends UserFields {
  id: string;
  tenant_id: string;
  /** The SCIM directory that provisions this user; null for users created just in time by SSO outside any directory. */
  directory_id: string | null;
  /**
   * Whether SCIM has written this user (created, adopted or replaced it). False for a user
   * created just in time at sign-in that SCIM has not written since: a SCIM POST of its userName
   * adopts it (see UserWrites.create).
   */
  pushed_by_scim: boolean;
  version: number;
  created_at: string;
  updated_at: string;
}

export function emptyUserFields(userName: string): UserFields {
  return {
    user_name: userName,
    external_id: null,
    active: true,
    display_name: null,
    nick_name: null,
    profile_url: null,
    title: null,
    user_type: null,
    preferred_language: null,
    locale: null,
    timezone: null,
    name_formatted: null,
    name_family_name: null,
    name_given_name: null,
    name_middle_name: null,
    name_honorific_prefix: null,
    name_honorific_suffix: null,
    employee_number: null,
    cost_center: null,
    organization: null,
    division: null,
    department: null,
    manager_id: null,
    manager_display_name: null,
    emails: [],
    phone_numbers: [],
    addresses: [],
  };
}

/** The primary email (else the first), lowercased; an empty value (stored by an earlier version) is none. */
export function primaryEmail(u: Pick<UserFields, 'emails'>): string | null {
  const emails = u.emails.filter((e) => e.value !== '');
  const chosen = emails.find((e) => e.primary) ?? emails[0];
  return chosen ? chosen.value.toLowerCase() : null;
}

/** The projection SSO linking works with. */
export function directoryUserView(u: UserRecord): DirectoryUser {
  return {
    id: u.id,
    tenant_id: u.tenant_id,
    user_name: u.user_name,
    external_id: u.external_id,
    email: primaryEmail(u),
    directory_id: u.directory_id,
    given_name: u.name_given_name,
    family_name: u.name_family_name,
    display_name: u.display_name,
    active: u.active,
  };
}

/** The subset recorded in audit events (no addresses or phone numbers: keep PII in the log small). */
export function userAuditView(u: UserRecord) {
  return {
    user_name: u.user_name,
    external_id: u.external_id,
    active: u.active,
    display_name: u.display_name,
    email: primaryEmail(u),
    directory_id: u.directory_id,
    version: u.version,
  };
}
