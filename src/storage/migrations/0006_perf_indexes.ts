import type { Migration } from './index.ts';

/**
 * Indexes for SCIM list filters over large directories.
 *
 * `directory_users_listing` replaces `directory_users_by_directory`: the same leading columns
 * (so pages still come in id order and stop early), plus the attributes IdPs filter on. A filter
 * that no B-tree can seek (`co`, `ew`, `gt`, `not`, ...) is then evaluated on index entries alone;
 * only matching users are read from the table (`deleted_at`, always NULL here, makes the index
 * covering for the live-user condition and counts). Reading every row instead costs a table seek
 * per user, in id order, which is random rowid order when users were created concurrently. The
 * old index goes: next to this one, the planner picks it for filtered pages (both give id order)
 * and reads every row.
 *
 * `directory_users_live` is the narrowest index of a directory's live users, for counting them
 * all (an unfiltered list's total): a count walks every entry of the index it reads.
 *
 * `directory_users_by_updated_at` turns `meta.lastModified gt "…"` (a sync job's "what changed
 * since") into a range, so counting its matches does not walk the whole directory.
 *
 * `directory_user_emails_by_type` covers `emails[type eq "work" and value ...]`. The two group
 * indexes let `groups[display eq "..."]` and `groups.value eq "..."` (caseExact=false in RFC 7643,
 * so compared NOCASE) start from the group instead of scanning every membership.
 */
export const perfIndexes: Migration = {
  version: 6,
  name: 'perf_indexes',
  sql: `
DROP INDEX directory_users_by_directory;
CREATE INDEX directory_users_listing ON directory_users (
  tenant_id, directory_id, id,
  user_name, external_id, active, display_name, name_given_name, name_family_name, created_at, updated_at, deleted_at
) WHERE deleted_at IS NULL;
CREATE INDEX directory_users_live ON directory_users (tenant_id, directory_id) WHERE deleted_at IS NULL;
CREATE INDEX directory_users_by_updated_at ON directory_users (tenant_id, directory_id, updated_at) WHERE deleted_at IS NULL;
CREATE INDEX directory_user_emails_by_type ON directory_user_emails (tenant_id, type, value);
CREATE INDEX directory_groups_by_display_name ON directory_groups (tenant_id, display_name);
CREATE INDEX directory_groups_by_id_nocase ON directory_groups (tenant_id, id COLLATE NOCASE);
`,
};
