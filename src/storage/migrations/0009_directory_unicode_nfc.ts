import type { Migration } from './index.ts';

/**
 * userName and email addresses are stored in Unicode NFC, and lookups (SCIM filters, the email
 * SSO links by) read their value in NFC. Rows written before that hold what the IdP sent: a
 * decomposed spelling (e + U+0301) would no longer be found, and the IdP would create the user
 * again. This brings them to NFC (`unicode_nfc` is registered by openDatabase), bumping the
 * user's version as any change of its representation does. A userName whose NFC form another
 * live user of the tenant already has (the same person, created twice) is left as it is, for an
 * admin to resolve: renaming it would break the tenant's uniqueness.
 */
const nameNeedsNfc = `user_name <> unicode_nfc(user_name) COLLATE BINARY
  AND NOT EXISTS (
    SELECT 1 FROM directory_users AS other
     WHERE other.tenant_id = directory_users.tenant_id AND other.id <> directory_users.id AND other.deleted_at IS NULL
       AND unicode_nfc(other.user_name) = unicode_nfc(directory_users.user_name) COLLATE NOCASE)`;

export const directoryUnicodeNfc: Migration = {
  version: 9,
  name: 'directory_unicode_nfc',
  sql: `
UPDATE directory_users
   SET user_name = CASE WHEN ${nameNeedsNfc} THEN unicode_nfc(user_name) ELSE user_name END,
       version = version + 1,
       updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
 WHERE deleted_at IS NULL
   AND ((${nameNeedsNfc})
        OR id IN (SELECT user_id FROM directory_user_emails WHERE value <> unicode_nfc(value) COLLATE BINARY));
UPDATE directory_user_emails SET value = unicode_nfc(value) WHERE value <> unicode_nfc(value) COLLATE BINARY;
`,
};
