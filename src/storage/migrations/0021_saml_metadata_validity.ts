import type { Migration } from './index.ts';

/**
 * SAML connections keep what their IdP metadata said about its own lifetime (SAML V2.0 Metadata
 * §2.2.1): `metadata_valid_until`, the earliest `validUntil` (ISO 8601, UTC), past which no
 * sign-in through the connection is accepted; `metadata_cache_duration_seconds`, the shortest
 * `cacheDuration` of a metadata URL's document, which brings its next scheduled fetch forward.
 * Connections stored before have NULL in both (no bound, the usual schedule): the metadata they
 * were imported from was not kept, so its dates cannot be read again; the next import or
 * successful refresh sets them.
 */
export const samlMetadataValidity: Migration = {
  version: 21,
  name: 'saml_metadata_validity',
  sql: `
ALTER TABLE sso_saml_settings ADD COLUMN metadata_valid_until TEXT;
ALTER TABLE sso_saml_settings ADD COLUMN metadata_cache_duration_seconds INTEGER CHECK (metadata_cache_duration_seconds >= 0);
`,
};
