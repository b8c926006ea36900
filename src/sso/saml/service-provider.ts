import { SAML, ValidateInResponseTo, generateServiceProviderMetadata } from '@node-saml/node-saml';
import type { SecretBox } from '../../oidc/keys/key-encryption.ts';
import { spUrls, type Connection, type SamlSettings } from '../connections/connection.ts';

export const SP_KEY_CONTEXT = 'saml-sp-private-key';

/** Everything about one SAML connection that the protocol steps need. */
export interface SamlContext {
  connection: Connection & { saml: SamlSettings };
  sp: ReturnType<typeof spUrls>;
  spPrivateKey: string;
  /**
   * Other SP keys an IdP may have encrypted an assertion to during a certificate rotation (the
   * pending and the previous one), tried in that order when decryption with the current key fails.
   */
  otherDecryptionKeys: string[];
  /** The certificates of `otherDecryptionKeys`, in the same order. */
  otherDecryptionCertificates: string[];
  /** SHA-1 signatures are accepted: the connection allows them and the operator does not refuse them everywhere. */
  sha1Allowed: boolean;
  /** The connection allows SHA-1 but the operator refuses it everywhere (`PORTCULLIS_SAML_SHA1=refuse`). */
  sha1RefusedByOperator: boolean;
  /** The validating node-saml instance (no request id), built once per context. */
  validator?: SAML;
  /** One validator per key of `otherDecryptionKeys`, built when first needed. */
  fallbackValidators?: SAML[];
  /** The validator whose key last decrypted an assertion for this connection: tried first. */
  lastDecryptedWith?: SAML;
}

export function samlContext(connection: Connection, baseUrl: string, box: SecretBox, policy: { refuseSha1: boolean } = { refuseSha1: false }): SamlContext {
  if (!connection.saml) throw new Error(`connection ${connection.id} is not a SAML connection`);
  return {
    sha1Allowed: connection.saml.allow_sha1_signatures && !policy.refuseSha1,
    sha1RefusedByOperator: connection.saml.allow_sha1_signatures && policy.refuseSha1,
    connection: connection as SamlContext['connection'],
    sp: spUrls(baseUrl, connection.id),
    spPrivateKey: box.open(connection.saml.sp_private_key_sealed, SP_KEY_CONTEXT),
    otherDecryptionKeys: [connection.saml.sp_pending, connection.saml.sp_previous].flatMap((p) => (p ? [box.open(p.private_key_sealed, SP_KEY_CONTEXT)] : [])),
    otherDecryptionCertificates: [connection.saml.sp_pending, connection.saml.sp_previous].flatMap((p) => (p ? [p.certificate] : [])),
  };
}

/**
 * A node-saml instance for one connection and (for AuthnRequests) one request id. InResponseTo
 * is checked by Portcullis against the login state (bound to the browser's interaction), so
 * node-saml's own request cache is off.
 */
export function buildSaml(ctx: SamlContext, requestId?: string, forceAuthn = false): SAML {
  if (!requestId && ctx.validator) return ctx.validator;
  const saml = newSaml(ctx, requestId, undefined, forceAuthn);
  if (!requestId) ctx.validator = saml;
  return saml;
}

/** Validators for the other decryption keys of a rotation (see `otherDecryptionKeys`). */
export function fallbackValidators(ctx: SamlContext): SAML[] {
  ctx.fallbackValidators ??= ctx.otherDecryptionKeys.map((key) => newSaml(ctx, undefined, key));
  return ctx.fallbackValidators;
}

function newSaml(ctx: SamlContext, requestId?: string, decryptionKey = ctx.spPrivateKey, forceAuthn = false): SAML {
  const s = ctx.connection.saml;
  return new SAML({
    idpCert: s.idp_certificates.map((c) => c.pem),
    issuer: ctx.sp.entity_id,
    callbackUrl: ctx.sp.acs_url,
    audience: ctx.sp.entity_id,
    entryPoint: s.idp_sso_url,
    wantAssertionsSigned: s.want_assertions_signed,
    wantAuthnResponseSigned: s.want_response_signed,
    acceptedClockSkewMs: s.clock_skew_seconds * 1000,
    validateInResponseTo: ValidateInResponseTo.never,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    privateKey: ctx.spPrivateKey,
    decryptionPvk: decryptionKey,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    forceAuthn,
    ...(requestId ? { generateUniqueId: () => requestId } : {}),
  });
}

/**
 * SP metadata for the IdP admin: entity id, ACS, and the certificates. While a new certificate
 * is staged, both are listed for signing and the new one for encryption, so the IdP admin
 * imports the metadata once, before activation.
 */
export function spMetadataXml(ctx: SamlContext): string {
  const s = ctx.connection.saml;
  return generateServiceProviderMetadata({
    issuer: ctx.sp.entity_id,
    callbackUrl: ctx.sp.acs_url,
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    wantAssertionsSigned: s.want_assertions_signed,
    decryptionCert: s.sp_pending?.certificate ?? s.sp_certificate,
    decryptionPvk: ctx.spPrivateKey,
    publicCerts: s.sp_pending ? [s.sp_certificate, s.sp_pending.certificate] : s.sp_certificate,
    privateKey: ctx.spPrivateKey,
    signatureAlgorithm: 'sha256',
  });
}

/**
 * The IdP redirect URL carrying a (signed) AuthnRequest with our request id. `forceAuthn`
 * (step-up) sets `ForceAuthn="true"`: the IdP must authenticate the person again rather than
 * answer from its own session.
 */
export async function authnRequestUrl(ctx: SamlContext, requestId: string, relayState: string, forceAuthn = false): Promise<string> {
  return buildSaml(ctx, requestId, forceAuthn).getAuthorizeUrlAsync(relayState, undefined, {});
}
