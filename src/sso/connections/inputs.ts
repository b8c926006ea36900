import { ApiError, badRequest } from '../../http/errors.ts';
import type { AttributeMapping, AttributePreset, ConnectionStatus, GroupMapping, IdpCertificate, Protocol } from './connection.ts';
import { parseIdpCertificate } from '../saml/certificates.ts';
import { assertMetadataCurrent, parseIdpMetadata, type IdpMetadata } from '../saml/metadata.ts';
import { storedValidUntil } from '../saml/metadata-validity.ts';
import type { MetadataFetcher } from '../saml/metadata-fetch.ts';

export interface SamlInput {
  /** IdP metadata XML (preferred), or a URL to fetch it from (refreshed on a schedule), or the three fields below. */
  metadata_xml?: string;
  metadata_url?: string;
  idp_entity_id?: string;
  idp_sso_url?: string;
  idp_certificates?: string[];
  want_assertions_signed?: boolean;
  want_response_signed?: boolean;
  allow_idp_initiated?: boolean;
  idp_initiated_app_id?: string | null;
  clock_skew_seconds?: number;
  /** Accept SHA-1 signatures from the IdP (default false). */
  allow_sha1_signatures?: boolean;
}

export interface OidcInput {
  issuer?: string;
  client_id?: string;
  client_secret?: string | null;
  scopes?: string;
  entra_multi_tenant?: boolean;
  allowed_entra_tenants?: string[];
  allowed_google_domains?: string[];
}

export interface ConnectionInput {
  name: string;
  protocol: Protocol;
  status?: ConnectionStatus;
  attribute_preset?: AttributePreset;
  attribute_mapping?: AttributeMapping;
  group_mappings?: GroupMapping[];
  /** A live SCIM directory of the tenant to bind the connection to; null unbinds. */
  directory_id?: string | null;
  saml?: SamlInput;
  oidc?: OidcInput;
}

export type ConnectionPatch = Partial<Omit<ConnectionInput, 'protocol'>>;

export interface ResolvedIdp {
  idp_entity_id: string;
  idp_sso_url: string;
  idp_certificates: IdpCertificate[];
  metadata_url: string | null;
  /** The metadata's earliest `validUntil` (ISO 8601): no sign-in relies on it after that. Null: no bound, or no metadata. */
  metadata_valid_until: string | null;
  /** The metadata's shortest `cacheDuration` (seconds), kept for a metadata URL only: it is re-fetched no later than that. */
  metadata_cache_duration_seconds: number | null;
}

/** When metadata is read: expired metadata (`validUntil` more than the connection's clock skew ago) is refused. */
export interface MetadataReadAt {
  now: Date;
  skewSeconds: number;
}

/** The IdP side of a SAML connection from metadata XML, a metadata URL or explicit fields. */
export async function resolveSamlIdp(input: SamlInput, fetcher: MetadataFetcher, at: MetadataReadAt, current?: ResolvedIdp): Promise<ResolvedIdp | undefined> {
  if (input.metadata_xml !== undefined && input.metadata_url !== undefined) {
    throw badRequest('invalid_connection', 'Give either metadata_xml or metadata_url, not both.');
  }
  if (input.metadata_xml !== undefined) {
    const xml = input.metadata_xml;
    const m = about('saml.metadata_xml', () => parseIdpMetadata(xml));
    about('saml.metadata_xml', () => assertMetadataCurrent(m, at.now, at.skewSeconds));
    assertSsoUrl(m.sso_url, 'saml.metadata_xml', 'invalid_metadata');
    return fromMetadata(m, null);
  }
  if (input.metadata_url !== undefined) {
    const xml = await fetcher(input.metadata_url);
    const field = `saml.metadata_url (the document at ${input.metadata_url.slice(0, 200)})`;
    const m = about(field, () => parseIdpMetadata(xml));
    about(field, () => assertMetadataCurrent(m, at.now, at.skewSeconds));
    assertSsoUrl(m.sso_url, field, 'invalid_metadata');
    return fromMetadata(m, input.metadata_url);
  }
  const explicit = input.idp_entity_id !== undefined || input.idp_sso_url !== undefined || input.idp_certificates !== undefined;
  if (!explicit) return current;
  const entityId = input.idp_entity_id ?? current?.idp_entity_id;
  const ssoUrl = input.idp_sso_url ?? current?.idp_sso_url;
  const certs = input.idp_certificates?.map((pem, i) => about(`saml.idp_certificates[${i}]`, () => parseIdpCertificate(pem))) ?? current?.idp_certificates;
  if (!entityId || !ssoUrl || !certs?.length) {
    const missing = [!entityId && 'idp_entity_id', !ssoUrl && 'idp_sso_url', !certs?.length && 'idp_certificates'].filter(Boolean).map((f) => `saml.${f}`);
    throw badRequest('invalid_connection', `A SAML connection needs saml.metadata_xml, saml.metadata_url, or saml.idp_entity_id, saml.idp_sso_url and saml.idp_certificates (missing: ${missing.join(', ')}).`);
  }
  assertSsoUrl(ssoUrl, 'saml.idp_sso_url', 'invalid_connection');
  // Fields given by hand are no longer what a metadata document said: its bounds go with it.
  return { idp_entity_id: entityId, idp_sso_url: ssoUrl, idp_certificates: certs, metadata_url: null, metadata_valid_until: null, metadata_cache_duration_seconds: null };
}

function fromMetadata(m: IdpMetadata, url: string | null): ResolvedIdp {
  return {
    idp_entity_id: m.entity_id,
    idp_sso_url: m.sso_url,
    idp_certificates: m.certificates,
    metadata_url: url,
    metadata_valid_until: storedValidUntil(m.valid_until),
    metadata_cache_duration_seconds: url === null ? null : m.cache_duration_seconds,
  };
}

/**
 * The IdP's SSO URL is where every sign-in sends the browser, parsed by node-saml each time: an
 * https URL that parses, or a sign-in through the connection would fail with a 500.
 */
function assertSsoUrl(ssoUrl: string, field: string, code: string): void {
  const url = /^https:\/\//.test(ssoUrl) ? URL.parse(ssoUrl) : null;
  if (!url?.hostname) {
    throw badRequest(code, `${field}: the IdP SSO URL '${ssoUrl.slice(0, 200)}' is not a valid https URL.`);
  }
}

/** Runs `parse`, naming `field` in the 400 it throws, so the admin knows which value was refused. */
function about<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ApiError && err.status === 400) throw badRequest(err.code, `${field}: ${err.message}`);
    throw err;
  }
}

export function assertIssuer(issuer: string): void {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw badRequest('invalid_connection', 'oidc.issuer is not a URL.');
  }
  const loopback = url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !loopback) throw badRequest('invalid_connection', 'oidc.issuer must use https.');
  // OpenID Connect Discovery §2: an issuer has no query or fragment; discovery could never match one.
  if (/[?#]/.test(url.href)) throw badRequest('invalid_connection', 'oidc.issuer must have no query or fragment.');
}

/** Whether `issuer` is Google's, which signs in any Google account (consumer and every Workspace). */
export function isGoogleIssuer(issuer: string): boolean {
  const url = URL.parse(issuer);
  return url?.hostname.toLowerCase() === 'accounts.google.com';
}

/**
 * Google's issuer signs in any Google account, so a connection to it must say whose:
 * `allowed_google_domains`, the Workspace domains whose accounts (the ID token's `hd` claim) may
 * sign in. An empty list would admit every Gmail account.
 */
export function assertGoogleDomains(o: { issuer: string; allowed_google_domains: string[] }): void {
  if (isGoogleIssuer(o.issuer) && o.allowed_google_domains.length === 0) {
    throw badRequest(
      'invalid_connection',
      `oidc.issuer '${o.issuer}' is Google's, which signs in any Google account: list the Google Workspace domains whose accounts may sign in in oidc.allowed_google_domains (for example ["acme.com"]).`,
    );
  }
}

/** Microsoft Entra ID sign-in hosts (public and national clouds). */
const ENTRA_HOSTS = /^login\.(microsoftonline\.(com|us)|partner\.microsoftonline\.cn|chinacloudapi\.cn|windows\.net)$/i;
/** Entra authorities that issue tokens for any directory (`{tenantid}` issuer template). */
const ENTRA_SHARED_AUTHORITIES = new Set(['common', 'organizations', 'consumers']);

/** Whether `issuer` is one of Entra ID's authorities shared by every directory. */
export function isEntraSharedIssuer(issuer: string): boolean {
  const url = new URL(issuer);
  return ENTRA_HOSTS.test(url.hostname) && ENTRA_SHARED_AUTHORITIES.has(url.pathname.split('/')[1]?.toLowerCase() ?? '');
}

/**
 * An Entra ID issuer shared by every directory (`/organizations/v2.0`, `/common/v2.0`,
 * `/consumers/v2.0`) admits the users of whichever directory signs the token, so such a
 * connection must say which directories it accepts: `entra_multi_tenant` with a non-empty
 * `allowed_entra_tenants`. An empty list would accept every Entra directory.
 */
export function assertEntraTenancy(o: { issuer: string; entra_multi_tenant: boolean; allowed_entra_tenants: string[] }): void {
  const url = new URL(o.issuer);
  if (isEntraSharedIssuer(o.issuer) && !o.entra_multi_tenant) {
    throw badRequest(
      'invalid_connection',
      `oidc.issuer '${o.issuer}' is Entra ID's multi-tenant endpoint, which signs in users of any Entra directory: set oidc.entra_multi_tenant to true and list the directory ids to accept in oidc.allowed_entra_tenants, or use https://${url.host}/{directory-id}/v2.0 for a single directory.`,
    );
  }
  if (o.entra_multi_tenant && o.allowed_entra_tenants.length === 0) {
    throw badRequest(
      'invalid_connection',
      'oidc.entra_multi_tenant needs oidc.allowed_entra_tenants: the directory (tenant) ids whose users may sign in. An empty list would accept every Entra directory.',
    );
  }
}
