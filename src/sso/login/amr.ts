/** The `acr` Portcullis states when the IdP gave none: authenticated by the tenant's IdP. */
export const DEFAULT_ACR = 'urn:portcullis:acr:idp';

const MFA_CONTEXTS = [/MultiFactor/i, /multipleauthn/i, /mfa/i, /TimeSyncToken/i, /Smartcard/i, /X509/i];

/** RFC 8176 `amr` values from a SAML AuthnContextClassRef (`ext` when the IdP did not say). */
export function amrOfSaml(classRef: string | null): string[] {
  if (!classRef) return ['ext'];
  if (MFA_CONTEXTS.some((r) => r.test(classRef))) return ['mfa'];
  if (/Password/i.test(classRef)) return ['pwd'];
  return ['ext'];
}

/** The upstream IdP's `amr` when it sent a list of strings, else `ext`. */
export function amrOfOidc(amr: unknown): string[] {
  const values = Array.isArray(amr) ? amr.filter((v): v is string => typeof v === 'string' && /^[\w.:-]{1,64}$/.test(v)) : [];
  return values.length > 0 ? values.slice(0, 10) : ['ext'];
}
