/** Why a SAML response was refused: precise, for the audit log (users see a generic message). */
export type SamlFailure =
  | 'saml_response_missing'
  | 'saml_response_too_large'
  | 'saml_dtd_forbidden'
  | 'saml_comment_forbidden'
  | 'saml_malformed'
  | 'saml_multiple_assertions'
  | 'saml_signature_invalid'
  | 'saml_sha1_signature_refused'
  | 'saml_decryption_failed'
  | 'saml_encryption_algorithm_refused'
  | 'saml_idp_status_error'
  | 'saml_issuer_mismatch'
  | 'saml_destination_mismatch'
  | 'saml_recipient_mismatch'
  | 'saml_audience_mismatch'
  | 'saml_conditions_missing'
  | 'saml_assertion_expired'
  | 'saml_assertion_not_yet_valid'
  | 'saml_subject_confirmation_invalid'
  | 'saml_subject_confirmation_expired'
  | 'saml_authn_statement_missing'
  | 'saml_idp_session_expired'
  | 'saml_in_response_to_mismatch'
  | 'saml_unsolicited_response'
  | 'saml_invalid_response';

export class SamlValidationError extends Error {
  constructor(readonly reason: SamlFailure, detail: string) {
    super(detail);
    this.name = 'SamlValidationError';
  }
}

export const fail = (reason: SamlFailure, detail: string): never => {
  throw new SamlValidationError(reason, detail);
};

export const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
export const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** The first child element of `parent` with this namespace and local name. */
export const childOf = (parent: Element, ns: string, name: string): Element | undefined => {
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name) return n as Element;
  }
  return undefined;
};

/** Child elements of `parent` with this local name, in any namespace (as node-saml's xml2js reading sees them). */
export const childrenNamed = (parent: Element, name: string): Element[] => {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (n.nodeType === 1 && (n as Element).localName === name) out.push(n as Element);
  return out;
};
