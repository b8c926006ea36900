import type { Migration } from './index.ts';

/**
 * SCIM filters compare emails by their folded value (0015) also in `co`/`sw`/`ew`:
 * `emails[type eq "work" and value co "…"]` then reads `value_folded` for each of the type's
 * rows. This index holds it next to the type, so that filter is answered from the index alone
 * (as `directory_user_emails_by_type` answered it from `value` before).
 */
export const emailTypeFoldedIndex: Migration = {
  version: 16,
  name: 'email_type_folded_index',
  sql: `
CREATE INDEX directory_user_emails_by_type_folded ON directory_user_emails (tenant_id, type, value_folded);
`,
};
