import { badRequest } from '../../http/errors.ts';
import type { IdpCertificate } from '../connections/connection.ts';
import { parseIdpCertificate } from './certificates.ts';
import { earliestValidUntil, shortestCacheDuration, type MetadataValidity } from './metadata-validity.ts';
import { SAML_LIMITS, UnsafeXmlError, parseSafeXml } from './xml-safety.ts';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** What Portcullis needs from an IdP's metadata document. */
export interface IdpMetadata {
  entity_id: string;
  sso_url: string;
  /** Every signing certificate listed (IdPs publish the next one ahead of a rollover). */
  certificates: IdpCertificate[];
  /** The earliest `validUntil` over the IdP's role, its entity and the aggregates around it (null: none). */
  valid_until: MetadataValidity | null;
  /** The shortest `cacheDuration` over the same elements, in seconds (null: none readable). */
  cache_duration_seconds: number | null;
}

/** As many IdP signing certificates as a connection may be given directly (each is tried on every response). */
export const MAX_IDP_CERTIFICATES = 10;

const invalid = (message: string) => badRequest('invalid_metadata', message);

/** Parses IdP metadata XML (Okta, Entra ID, any SAML 2.0 IdP). 400 `invalid_metadata` when unusable. */
export function parseIdpMetadata(xml: string): IdpMetadata {
  if (Buffer.byteLength(xml) > SAML_LIMITS.maxMetadataBytes) throw invalid('The metadata document is too large.');
  let doc;
  try {
    doc = parseSafeXml(xml, { allowComments: true });
  } catch (err) {
    if (err instanceof UnsafeXmlError) throw invalid(err.message);
    throw err;
  }
  const idps = elements(doc.documentElement as unknown as Element, MD, 'EntityDescriptor').filter((e) => elements(e, MD, 'IDPSSODescriptor').length > 0);
  const entity = idps[0];
  if (!entity) throw invalid('No EntityDescriptor with an IDPSSODescriptor was found.');
  // An aggregate (a federation's metadata) names many IdPs: which one is meant must not be a guess.
  if (idps.length > 1) throw invalid(`The metadata describes ${idps.length} identity providers; give the metadata of one.`);
  const entityId = entity.getAttribute('entityID');
  if (!entityId) throw invalid('The EntityDescriptor has no entityID.');
  const idp = elements(entity, MD, 'IDPSSODescriptor')[0] as Element;
  const validUntil = earliestValidUntil(idp, (element, value) => invalid(`The ${element}'s validUntil '${value}' is not a date and time (xs:dateTime, e.g. 2030-01-31T00:00:00Z).`));
  const services = elements(idp, MD, 'SingleSignOnService');
  const service = services.find((s) => s.getAttribute('Binding') === REDIRECT) ?? services.find((s) => s.getAttribute('Binding') === POST);
  const ssoUrl = service?.getAttribute('Location');
  if (!ssoUrl || !/^https:\/\//.test(ssoUrl)) throw invalid('No HTTPS SingleSignOnService (HTTP-Redirect or HTTP-POST) was found.');
  const certificates = elements(idp, MD, 'KeyDescriptor')
    .filter((k) => !k.getAttribute('use') || k.getAttribute('use') === 'signing')
    .flatMap((k) => elements(k, DS, 'X509Certificate'))
    .map((c) => parseIdpCertificate(c.textContent ?? ''));
  if (certificates.length === 0) throw invalid('The metadata lists no signing certificate.');
  const unique = [...new Map(certificates.map((c) => [c.fingerprint, c])).values()];
  if (unique.length > MAX_IDP_CERTIFICATES) {
    throw invalid(`The metadata lists ${unique.length} signing certificates; a connection trusts at most ${MAX_IDP_CERTIFICATES}.`);
  }
  return { entity_id: entityId, sso_url: ssoUrl, certificates: unique, valid_until: validUntil, cache_duration_seconds: shortestCacheDuration(idp) };
}

/**
 * Metadata past its `validUntil` (more than the connection's clock skew ago) must not be relied
 * on: its keys and URLs may be the ones the IdP has since replaced. 400 `metadata_expired`.
 */
export function assertMetadataCurrent(m: IdpMetadata, now: Date, skewSeconds: number): void {
  const v = m.valid_until;
  if (v && v.at + skewSeconds * 1000 <= now.getTime()) {
    throw badRequest('metadata_expired', `The metadata expired: its ${v.element} is valid until ${v.value}. Have the IdP publish current metadata (or take it anew from the IdP).`);
  }
}

function elements(root: Element, ns: string, name: string): Element[] {
  const out: Element[] = [];
  if (root.namespaceURI === ns && root.localName === name) out.push(root);
  const list = root.getElementsByTagNameNS(ns, name);
  for (let i = 0; i < list.length; i++) out.push(list.item(i) as Element);
  return out;
}
