import type { Migration } from './index.ts';

/**
 * Whether a SAML connection accepts signatures made with SHA-1 (RSA-SHA1, SHA-1 digests). New
 * connections refuse them (the column's default); connections stored before this step keep
 * accepting them, as they did, so an upgrade breaks no working sign-in.
 */
export const samlSha1Policy: Migration = {
  version: 13,
  name: 'saml_sha1_policy',
  sql: `
ALTER TABLE sso_saml_settings ADD COLUMN allow_sha1_signatures INTEGER NOT NULL DEFAULT 0 CHECK (allow_sha1_signatures IN (0, 1));
UPDATE sso_saml_settings SET allow_sha1_signatures = 1;
`,
};
