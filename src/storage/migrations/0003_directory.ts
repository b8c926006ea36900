import type { Migration } from './index.ts';

/**
 * The tenant directory (users, groups, memberships) and its SCIM 2.0 plumbing. Text attributes
 * that SCIM declares caseExact=false carry COLLATE NOCASE, so equality, ordering and their
 * indexes are case-insensitive in SQL itself. Users are soft-deleted (sessions and audit rows
 * keep pointing at them); their child rows and memberships are removed on delete.
 */
export const directory: Migration = {
  version: 3,
  name: 'directory',
  sql: `
CREATE TABLE scim_directories (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  deleted_at TEXT
) STRICT;
CREATE INDEX scim_directories_by_tenant ON scim_directories (tenant_id, id);

CREATE TABLE scim_tokens (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  directory_id TEXT NOT NULL REFERENCES scim_directories (id),
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT,
  last_used_at TEXT,
  revoked_at TEXT
) STRICT;
CREATE INDEX scim_tokens_by_directory ON scim_tokens (tenant_id, directory_id, id);

CREATE TABLE directory_users (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  directory_id TEXT REFERENCES scim_directories (id),
  user_name TEXT NOT NULL COLLATE NOCASE,
  external_id TEXT,
  active INTEGER NOT NULL CHECK (active IN (0, 1)),
  display_name TEXT COLLATE NOCASE,
  nick_name TEXT COLLATE NOCASE,
  profile_url TEXT,
  title TEXT COLLATE NOCASE,
  user_type TEXT COLLATE NOCASE,
  preferred_language TEXT COLLATE NOCASE,
  locale TEXT COLLATE NOCASE,
  timezone TEXT COLLATE NOCASE,
  name_formatted TEXT COLLATE NOCASE,
  name_family_name TEXT COLLATE NOCASE,
  name_given_name TEXT COLLATE NOCASE,
  name_middle_name TEXT COLLATE NOCASE,
  name_honorific_prefix TEXT COLLATE NOCASE,
  name_honorific_suffix TEXT COLLATE NOCASE,
  employee_number TEXT COLLATE NOCASE,
  cost_center TEXT COLLATE NOCASE,
  organization TEXT COLLATE NOCASE,
  division TEXT COLLATE NOCASE,
  department TEXT COLLATE NOCASE,
  manager_id TEXT,
  manager_display_name TEXT COLLATE NOCASE,
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
) STRICT;
CREATE UNIQUE INDEX directory_users_live_user_name ON directory_users (tenant_id, user_name) WHERE deleted_at IS NULL;
CREATE INDEX directory_users_by_directory ON directory_users (tenant_id, directory_id, id) WHERE deleted_at IS NULL;
CREATE INDEX directory_users_by_external_id ON directory_users (tenant_id, external_id) WHERE deleted_at IS NULL;

CREATE TABLE directory_user_emails (
  user_id TEXT NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  value TEXT NOT NULL COLLATE NOCASE,
  type TEXT COLLATE NOCASE,
  display TEXT COLLATE NOCASE,
  is_primary INTEGER CHECK (is_primary IN (0, 1)),
  PRIMARY KEY (user_id, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX directory_user_emails_by_value ON directory_user_emails (tenant_id, value);

CREATE TABLE directory_user_phone_numbers (
  user_id TEXT NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  value TEXT NOT NULL COLLATE NOCASE,
  type TEXT COLLATE NOCASE,
  display TEXT COLLATE NOCASE,
  is_primary INTEGER CHECK (is_primary IN (0, 1)),
  PRIMARY KEY (user_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE directory_user_addresses (
  user_id TEXT NOT NULL REFERENCES directory_users (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  type TEXT COLLATE NOCASE,
  formatted TEXT COLLATE NOCASE,
  street_address TEXT COLLATE NOCASE,
  locality TEXT COLLATE NOCASE,
  region TEXT COLLATE NOCASE,
  postal_code TEXT COLLATE NOCASE,
  country TEXT COLLATE NOCASE,
  is_primary INTEGER CHECK (is_primary IN (0, 1)),
  PRIMARY KEY (user_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE directory_groups (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  directory_id TEXT NOT NULL REFERENCES scim_directories (id),
  display_name TEXT NOT NULL COLLATE NOCASE,
  external_id TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX directory_groups_by_directory ON directory_groups (tenant_id, directory_id, id);
CREATE UNIQUE INDEX directory_groups_display_name ON directory_groups (tenant_id, directory_id, display_name);

CREATE TABLE directory_memberships (
  group_id TEXT NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES directory_users (id),
  tenant_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX directory_memberships_by_user ON directory_memberships (user_id, group_id);

CREATE TABLE directory_group_role_mappings (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  group_id TEXT NOT NULL REFERENCES directory_groups (id) ON DELETE CASCADE,
  relation TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT
) STRICT;
CREATE UNIQUE INDEX directory_group_role_mappings_unique ON directory_group_role_mappings (group_id, relation);
CREATE INDEX directory_group_role_mappings_by_tenant ON directory_group_role_mappings (tenant_id, id);

CREATE TABLE scim_normalisations (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  directory_id TEXT NOT NULL REFERENCES scim_directories (id),
  request_id TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  dialect TEXT NOT NULL CHECK (dialect IN ('entra', 'okta', 'generic')),
  rule TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  detail TEXT NOT NULL,
  user_agent TEXT
) STRICT;
CREATE INDEX scim_normalisations_by_directory ON scim_normalisations (tenant_id, directory_id, id);
`,
};
