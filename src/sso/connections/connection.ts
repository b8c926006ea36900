import { isDeepStrictEqual } from 'node:util';
import { resourceEtag } from '../../lib/etag.ts';
import { describeCertificate } from '../saml/certificates.ts';

/** How an IdP is connected to a tenant. */
export type Protocol = 'saml' | 'oidc';
/**
 * `testing`: only an admin's test login uses it (showing the received attributes);
 * `active`: used for sign-in; `inactive`: kept but unused.
 */
export type ConnectionStatus = 'testing' | 'active' | 'inactive';
export const CONNECTION_STATUSES = ['testing', 'active', 'inactive'] as const;
export type AttributePreset = 'generic' | 'okta' | 'entra';
export const ATTRIBUTE_PRESETS = ['generic', 'okta', 'entra'] as const;
export const MAPPED_ATTRIBUTES = ['external_id', 'email', 'given_name', 'family_name', 'name', 'groups'] as const;
export type MappedAttribute = (typeof MAPPED_ATTRIBUTES)[number];
export type AttributeMapping = Partial<Record<MappedAttribute, string>>;

export interface IdpCertificate {
  fingerprint: string;
  pem: string;
  not_after: string | null;
}

/** One SP key pair of a SAML connection (the private key sealed with the KEK). */
export interface SpKeyPair {
  certificate: string;
  private_key_sealed: string;
  /** Null for the first key pair of a connection created before rotation existed. */
  created_at: string | null;
}

/** The most clock skew a SAML connection may allow (seconds). */
export const MAX_CLOCK_SKEW_SECONDS = 600;

export interface SamlSettings {
  idp_entity_id: string;
  idp_sso_url: string;
  idp_certificates: IdpCertificate[];
  metadata_url: string | null;
  metadata_refreshed_at: string | null;
  metadata_error: string | null;
  /**
   * The earliest `validUntil` of the metadata the IdP settings came from (ISO 8601, UTC): past it
   * (beyond the clock skew) no sign-in through the connection is accepted (SAML V2.0 Metadata
   * §2.2.1). Null: the metadata had none, the settings were given as fields, or the connection
   * was imported before Portcullis kept it (migration 0021).
   */
  metadata_valid_until: string | null;
  /** The metadata's shortest `cacheDuration` in seconds, for a metadata URL (null otherwise, or none). */
  metadata_cache_duration_seconds: number | null;
  want_assertions_signed: boolean;
  want_response_signed: boolean;
  allow_idp_initiated: boolean;
  idp_initiated_app_id: string | null;
  clock_skew_seconds: number;
  /**
   * Accept signatures made with SHA-1 (RSA-SHA1, SHA-1 digests). False for new connections: such
   * a response is refused (`saml_sha1_signature_refused`); true for connections stored before
   * the setting existed, so an upgrade breaks no working sign-in (accepted, flagged to the admin).
   */
  allow_sha1_signatures: boolean;
  sp_certificate: string;
  sp_private_key_sealed: string;
  sp_certificate_created_at: string | null;
  /** Staged by a rotation: published in SP metadata, not yet signing. */
  sp_pending: SpKeyPair | null;
  /** Replaced by the last rotation: still accepted for decryption until retired. */
  sp_previous: SpKeyPair | null;
}

export interface OidcSettings {
  issuer: string;
  client_id: string;
  client_secret_sealed: string | null;
  scopes: string;
  entra_multi_tenant: boolean;
  /** Entra tenant ids (`tid`) accepted by a multi-tenant connection; empty means any. */
  allowed_entra_tenants: string[];
  /** Google Workspace domains (the ID token's `hd` claim) whose accounts may sign in; required with Google's issuer. */
  allowed_google_domains: string[];
}

export interface GroupMapping {
  idp_group: string;
  /** A relation on the tenant's organization object, e.g. `admin`, `member`, `viewer`. */
  relation: string;
}

export interface Connection {
  id: string;
  tenant_id: string;
  name: string;
  protocol: Protocol;
  status: ConnectionStatus;
  attribute_preset: AttributePreset;
  attribute_mapping: AttributeMapping;
  group_mappings: GroupMapping[];
  /**
   * The SCIM directory whose users this connection signs in (null: unbound). A bound connection
   * links only to that directory's users and creates its just-in-time users there; while any live
   * connection is bound to a directory, its users sign in only through connections bound to it.
   */
  directory_id: string | null;
  saml: SamlSettings | null;
  oidc: OidcSettings | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/** URLs the IdP admin needs, derived from the base URL. */
export const spUrls = (baseUrl: string, connectionId: string) => ({
  entity_id: `${baseUrl}/sso/saml/${connectionId}/metadata`,
  acs_url: `${baseUrl}/sso/saml/${connectionId}/acs`,
  metadata_url: `${baseUrl}/sso/saml/${connectionId}/metadata`,
});

export const oidcRedirectUri = (baseUrl: string, connectionId: string) => `${baseUrl}/sso/oidc/${connectionId}/callback`;

/** The public shape (secrets never leave; SP URLs and certificate are included for the IdP admin). */
export function connectionView(c: Connection, baseUrl: string, lastTest?: unknown, decryptedAt: Record<string, string> = {}) {
  return {
    id: c.id,
    tenant_id: c.tenant_id,
    name: c.name,
    protocol: c.protocol,
    status: c.status,
    attribute_preset: c.attribute_preset,
    attribute_mapping: c.attribute_mapping,
    group_mappings: c.group_mappings,
    directory_id: c.directory_id,
    saml: c.saml
      ? {
          idp_entity_id: c.saml.idp_entity_id,
          idp_sso_url: c.saml.idp_sso_url,
          idp_certificates: c.saml.idp_certificates.map((x) => ({ fingerprint: x.fingerprint, not_after: x.not_after })),
          metadata_url: c.saml.metadata_url,
          metadata_refreshed_at: c.saml.metadata_refreshed_at,
          metadata_error: c.saml.metadata_error,
          metadata_valid_until: c.saml.metadata_valid_until,
          want_assertions_signed: c.saml.want_assertions_signed,
          want_response_signed: c.saml.want_response_signed,
          allow_idp_initiated: c.saml.allow_idp_initiated,
          idp_initiated_app_id: c.saml.idp_initiated_app_id,
          clock_skew_seconds: c.saml.clock_skew_seconds,
          allow_sha1_signatures: c.saml.allow_sha1_signatures,
          sp: { ...spUrls(baseUrl, c.id), certificate: c.saml.sp_certificate, certificates: spCertificates(c.saml, decryptedAt) },
        }
      : null,
    oidc: c.oidc
      ? {
          issuer: c.oidc.issuer,
          client_id: c.oidc.client_id,
          has_client_secret: c.oidc.client_secret_sealed !== null,
          scopes: c.oidc.scopes,
          entra_multi_tenant: c.oidc.entra_multi_tenant,
          allowed_entra_tenants: c.oidc.allowed_entra_tenants,
          allowed_google_domains: c.oidc.allowed_google_domains,
          redirect_uri: oidcRedirectUri(baseUrl, c.id),
        }
      : null,
    last_test: lastTest ?? null,
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

/**
 * The connection's SP certificates, current first, for the admin following a rotation, with when
 * each last decrypted an assertion (null: not since it was made, or not yet recorded).
 */
function spCertificates(s: SamlSettings, decryptedAt: Record<string, string>) {
  const pairs = [
    { status: 'active', certificate: s.sp_certificate, created_at: s.sp_certificate_created_at },
    ...(s.sp_pending ? [{ status: 'pending', certificate: s.sp_pending.certificate, created_at: s.sp_pending.created_at }] : []),
    ...(s.sp_previous ? [{ status: 'previous', certificate: s.sp_previous.certificate, created_at: s.sp_previous.created_at }] : []),
  ];
  return pairs.map((p) => {
    const { fingerprint, not_after } = describeCertificate(p.certificate);
    return { status: p.status, fingerprint, not_after, created_at: p.created_at, last_decrypted_at: decryptedAt[fingerprint] ?? null, certificate: p.certificate };
  });
}

export const connectionEtag = (c: Connection) => resourceEtag(c.id, c.version);

/**
 * Whether two versions of a connection hold the same settings, as the store keeps them (mappings
 * without empty sources; group mappings, IdP certificates and allowed Entra tenants as sets), ignoring version and
 * times: a change that leaves them equal is no change.
 */
export function sameConnectionSettings(a: Connection, b: Connection): boolean {
  return isDeepStrictEqual(comparable(a), comparable(b));
}

function comparable(c: Connection) {
  const { version: _v, updated_at: _u, ...rest } = c;
  const byKey = <T>(items: T[], key: (x: T) => string) => [...new Map(items.map((x) => [key(x), x])).entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, x]) => x);
  return {
    ...rest,
    attribute_mapping: Object.fromEntries(Object.entries(c.attribute_mapping).filter(([, source]) => source)),
    group_mappings: byKey(c.group_mappings, (g) => `${g.idp_group}\n${g.relation}`),
    saml: c.saml && { ...c.saml, idp_certificates: byKey(c.saml.idp_certificates, (x) => x.fingerprint) },
    oidc: c.oidc && { ...c.oidc, allowed_entra_tenants: [...new Set(c.oidc.allowed_entra_tenants)].sort(), allowed_google_domains: [...new Set(c.oidc.allowed_google_domains)].sort() },
  };
}
