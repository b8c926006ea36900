import type { Migration } from './index.ts';

/**
 * Case-insensitive lookups of emails (SSO links a sign-in by email) and userNames (SCIM adopts
 * and refuses duplicates by userName) for all of Unicode. `COLLATE NOCASE` folds only A–Z, so
 * `Élise@bank.test` was never found by `élise@bank.test`. `value_folded` and `user_name_folded`
 * hold `foldCase` (src/lib/case-fold.ts) of the value, written by the app with every value and
 * filled here for the rows stored before (`case_fold` is registered by openDatabase). They are
 * plain columns rather than an expression index on an app-defined function, so the database
 * stays readable and writable from the `sqlite3` shell; a row written there must set them too.
 *
 * The userName index is not unique: two live users whose names differ only in case outside ASCII
 * may already exist (the same person, created twice); the app refuses new ones, and an admin
 * resolves the old ones. SCIM filters (`emails.value eq`, `userName eq`) still compare with NOCASE.
 */
export const directoryCaseFold: Migration = {
  version: 15,
  name: 'directory_case_fold',
  sql: `
ALTER TABLE directory_user_emails ADD COLUMN value_folded TEXT NOT NULL DEFAULT '';
UPDATE directory_user_emails SET value_folded = case_fold(value);
CREATE INDEX directory_user_emails_by_folded_value ON directory_user_emails (tenant_id, value_folded);
ALTER TABLE directory_users ADD COLUMN user_name_folded TEXT NOT NULL DEFAULT '';
UPDATE directory_users SET user_name_folded = case_fold(user_name);
CREATE INDEX directory_users_by_folded_user_name ON directory_users (tenant_id, user_name_folded) WHERE deleted_at IS NULL;
`,
};
