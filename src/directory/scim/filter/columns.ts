import type { AttributeDef } from '../schema/attributes.ts';
import { GROUP_RESOURCE, USER_RESOURCE, type ResourceSchema } from '../schema/registry.ts';

/** Where a single-valued attribute lives: a column (or SQL literal) of the resource row. */
export interface ColumnTarget {
  kind: 'column';
  /** SQL over the resource alias (`u` users, `g` groups); `$` is replaced by the alias. */
  expr: string;
  def: AttributeDef;
}

/** A multi-valued attribute stored in a child table, matched with `id IN (subquery)`. */
export interface ChildTarget {
  kind: 'child';
  /** FROM clause of the subquery; `@` is the child alias, `$` the resource alias. */
  from: string;
  /** The child column holding the resource id. */
  key: string;
  /** The child column holding the tenant id (the subquery is tenant-scoped by it). */
  tenant: string;
  /** The join condition to the resource row (for correlated uses such as sorting). */
  join: string;
  /** SQL expression per sub-attribute name, over `@`. */
  subs: Record<string, string>;
  /** Sub-attribute used when the attribute is compared without one (`emails eq "x"`). */
  defaultSub: string;
  /** Folded lookup columns of caseExact=false sub-attributes, over `@` (see {@link FoldedTarget}). */
  folded?: Record<string, string>;
  def: AttributeDef;
}

const COMMON = {
  id: '$.id',
  externalId: '$.external_id',
  'meta.created': '$.created_at',
  'meta.lastModified': '$.updated_at',
} as const;

const USER_COLUMNS: Record<string, string> = {
  ...COMMON,
  userName: '$.user_name',
  displayName: '$.display_name',
  nickName: '$.nick_name',
  profileUrl: '$.profile_url',
  title: '$.title',
  userType: '$.user_type',
  preferredLanguage: '$.preferred_language',
  locale: '$.locale',
  timezone: '$.timezone',
  active: '$.active',
  'name.formatted': '$.name_formatted',
  'name.familyName': '$.name_family_name',
  'name.givenName': '$.name_given_name',
  'name.middleName': '$.name_middle_name',
  'name.honorificPrefix': '$.name_honorific_prefix',
  'name.honorificSuffix': '$.name_honorific_suffix',
  employeeNumber: '$.employee_number',
  costCenter: '$.cost_center',
  organization: '$.organization',
  division: '$.division',
  department: '$.department',
  'manager.value': '$.manager_id',
  'manager.displayName': '$.manager_display_name',
};

/**
 * A caseExact=false attribute of the resource row with a folded lookup column (migration 0015:
 * `foldCase` of the value, indexed per tenant over live rows). NOCASE folds only A–Z, so text
 * matches (`eq ne co sw ew`) compare the folded column exactly with the folded literal instead.
 * They run as `id IN (subquery)` over the folded index: in the outer query the listing index
 * would win (as many equality columns, and it gives the page order) and read every user's row.
 */
export interface FoldedTarget {
  /** FROM clause of the subquery; `@` is its alias. */
  from: string;
  /** Its conditions besides the match: the tenant (one `?`) and the index's partial condition. */
  scope: string;
  /** The column selected: the resource id. */
  key: string;
  /** The folded column. */
  column: string;
}

const USER_FOLDED: Record<string, FoldedTarget> = {
  userName: { from: 'directory_users @', scope: '@.tenant_id = ? AND @.deleted_at IS NULL', key: '@.id', column: '@.user_name_folded' },
};

const contact = (table: string, folded?: Record<string, string>) => ({
  from: `${table} @`,
  key: '@.user_id',
  tenant: '@.tenant_id',
  join: '@.user_id = $.id',
  subs: { value: '@.value', type: '@.type', display: '@.display', primary: '@.is_primary' },
  defaultSub: 'value',
  ...(folded ? { folded } : {}),
});

const USER_CHILDREN: Record<string, Omit<ChildTarget, 'kind' | 'def'>> = {
  emails: contact('directory_user_emails', { value: '@.value_folded' }),
  phoneNumbers: contact('directory_user_phone_numbers'),
  addresses: {
    from: 'directory_user_addresses @',
    key: '@.user_id',
    tenant: '@.tenant_id',
    join: '@.user_id = $.id',
    subs: {
      formatted: '@.formatted',
      streetAddress: '@.street_address',
      locality: '@.locality',
      region: '@.region',
      postalCode: '@.postal_code',
      country: '@.country',
      type: '@.type',
      primary: '@.is_primary',
    },
    defaultSub: 'formatted',
  },
  groups: {
    // Conditions on the group's own columns (tenant, id, name) let the subquery start from the
    // group's indexes, then take its members by primary key.
    from: 'directory_memberships @ JOIN directory_groups @g ON @g.id = @.group_id AND @g.tenant_id = @.tenant_id',
    key: '@.user_id',
    tenant: '@.tenant_id',
    join: '@.user_id = $.id',
    subs: { value: '@g.id', display: '@g.display_name', type: "'direct'" },
    defaultSub: 'value',
  },
};

const GROUP_COLUMNS: Record<string, string> = { ...COMMON, displayName: '$.display_name' };

const GROUP_CHILDREN: Record<string, Omit<ChildTarget, 'kind' | 'def'>> = {
  members: {
    from: 'directory_memberships @ JOIN directory_users @u ON @u.id = @.user_id AND @u.deleted_at IS NULL',
    key: '@.group_id',
    tenant: '@.tenant_id',
    join: '@.group_id = $.id',
    subs: { value: '@.user_id', display: '@u.display_name', type: "'User'" },
    defaultSub: 'value',
  },
};

export const COLUMNS: ReadonlyMap<
  ResourceSchema,
  { alias: string; columns: Record<string, string>; folded: Record<string, FoldedTarget>; children: typeof USER_CHILDREN }
> = new Map([
  [USER_RESOURCE, { alias: 'u', columns: USER_COLUMNS, folded: USER_FOLDED, children: USER_CHILDREN }],
  [GROUP_RESOURCE, { alias: 'g', columns: GROUP_COLUMNS, folded: {}, children: GROUP_CHILDREN }],
]);
