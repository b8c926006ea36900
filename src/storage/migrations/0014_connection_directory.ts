import type { Migration } from './index.ts';

/**
 * A connection may be bound to the SCIM directory whose users it signs in (`directory_id`, null:
 * unbound, as every connection stored before this step). The partial index answers "is this
 * directory bound to a live connection of the tenant" at sign-in.
 *
 * `directory_users.pushed_by_scim`: whether SCIM has written the user (created, adopted or
 * replaced it). 0 for a user created just in time at sign-in that SCIM has not written since:
 * such a user may be adopted by a SCIM POST of the same userName (into its own directory, or any
 * directory while it has none). Users stored before this step without a directory were created
 * just in time; those with one were pushed by SCIM.
 */
export const connectionDirectory: Migration = {
  version: 14,
  name: 'connection_directory',
  sql: `
ALTER TABLE sso_connections ADD COLUMN directory_id TEXT REFERENCES scim_directories (id);
CREATE INDEX sso_connections_by_directory ON sso_connections (tenant_id, directory_id) WHERE deleted_at IS NULL AND directory_id IS NOT NULL;
ALTER TABLE directory_users ADD COLUMN pushed_by_scim INTEGER NOT NULL DEFAULT 1 CHECK (pushed_by_scim IN (0, 1));
UPDATE directory_users SET pushed_by_scim = 0 WHERE directory_id IS NULL;
`,
};
