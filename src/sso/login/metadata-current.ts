import type { Connection } from '../connections/connection.ts';
import { metadataExpired } from '../saml/metadata-validity.ts';
import { LoginFailure } from './failures.ts';

/**
 * SAML metadata must not be relied on after its `validUntil` (SAML V2.0 Metadata §2.2.1): the
 * keys and SSO URL it listed may be ones the IdP has since replaced. A connection whose metadata
 * is past it (beyond the clock skew) signs nobody in, before the IdP is visited and when its
 * answer comes back, until a refresh or an import brings current metadata.
 */
export function assertMetadataCurrentForSignIn(connection: Connection, now: Date): void {
  const s = connection.saml;
  if (!s || !metadataExpired(s.metadata_valid_until, s.clock_skew_seconds, now)) return;
  const remedy = s.metadata_url
    ? `the document at its metadata URL must be current again (a refresh takes it: POST …/refresh-metadata${s.metadata_error ? `; the last refresh failed: ${s.metadata_error.slice(0, 200)}` : ''})`
    : "import the IdP's current metadata (PATCH saml.metadata_xml or saml.metadata_url)";
  throw new LoginFailure('saml_metadata_expired', `the connection's IdP metadata is valid until ${s.metadata_valid_until} (clock skew ${s.clock_skew_seconds} s): ${remedy}`);
}
