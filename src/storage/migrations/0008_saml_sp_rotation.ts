import type { Migration } from './index.ts';

/**
 * SP certificate rotation for SAML connections. Beside the current key pair, a connection can
 * hold a `pending` one (published in SP metadata, not yet signing) and a `previous` one (no
 * longer published or signing, still accepted for decrypting assertions an IdP encrypted to it).
 * Each pair's columns are both set or both null.
 */
export const samlSpRotation: Migration = {
  version: 8,
  name: 'saml_sp_rotation',
  sql: `
ALTER TABLE sso_saml_settings ADD COLUMN sp_certificate_created_at TEXT;
ALTER TABLE sso_saml_settings ADD COLUMN sp_pending_certificate TEXT;
ALTER TABLE sso_saml_settings ADD COLUMN sp_pending_private_key_sealed TEXT;
ALTER TABLE sso_saml_settings ADD COLUMN sp_pending_created_at TEXT;
ALTER TABLE sso_saml_settings ADD COLUMN sp_previous_certificate TEXT;
ALTER TABLE sso_saml_settings ADD COLUMN sp_previous_private_key_sealed TEXT;
ALTER TABLE sso_saml_settings ADD COLUMN sp_previous_created_at TEXT;
`,
};
