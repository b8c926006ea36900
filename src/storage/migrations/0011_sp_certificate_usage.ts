import type { Migration } from './index.ts';

/**
 * When each SP certificate of a SAML connection last decrypted an assertion (by the
 * certificate's SHA-256 fingerprint, which survives activation): shown to the admin so they know
 * when the IdP has stopped using a certificate they are about to retire. Written at most once an
 * hour per certificate and process.
 */
export const spCertificateUsage: Migration = {
  version: 11,
  name: 'sp_certificate_usage',
  sql: `
CREATE TABLE sso_sp_certificate_usage (
  connection_id TEXT NOT NULL REFERENCES sso_connections (id),
  fingerprint TEXT NOT NULL,
  last_decrypted_at TEXT NOT NULL,
  PRIMARY KEY (connection_id, fingerprint)
) STRICT, WITHOUT ROWID;
`,
};
