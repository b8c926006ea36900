import { SamlStatusError, type Profile } from '@node-saml/node-saml';
import { UnsafeXmlError, SAML_LIMITS, parseSafeXml } from './xml-safety.ts';
import { buildSaml, fallbackValidators, type SamlContext } from './service-provider.ts';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

/** Why a SAML response was refused: precise, for the audit log (users see a generic message). */
export type SamlFailure =
  | 'saml_response_missing'
  | 'saml_response_too_large'
  | 'saml_dtd_forbidden'
  | 'saml_comment_forbidden'
  | 'saml_malformed'
  | 'saml_multiple_assertions'
  | 'saml_signature_invalid'
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

const fail = (reason: SamlFailure, detail: string): never => {
  throw new SamlValidationError(reason, detail);
};

/** A verified assertion: only data read from the signed (and, if so, decrypted) XML. */
export interface VerifiedAssertion {
  assertionId: string;
  notOnOrAfter: Date;
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  attributes: Record<string, unknown>;
  authnContext: string | null;
  /** The IdP's `SessionNotOnOrAfter`: the sign-in's session must end by then (null: the IdP set no bound). */
  sessionNotOnOrAfter: Date | null;
  /** When the IdP says the person authenticated (the first AuthnStatement's `AuthnInstant`; null when absent or not a date). */
  authnInstant: Date | null;
  /** The IdP signed with SHA-1 (RSA-SHA1 or a SHA-1 digest): accepted, but the admin is told to move it to SHA-256. */
  sha1Signature: boolean;
  /** For an encrypted assertion, the SP certificate whose key decrypted it (null otherwise). */
  decryptedWith: string | null;
}

/**
 * Validates a posted SAMLResponse for one connection. `expectedRequestId` is the id of the
 * AuthnRequest this browser's login sent, or null for IdP-initiated login. Steps, in order:
 * decode and screen the XML, check the envelope (destination, Response issuer, InResponseTo,
 * status), verify signatures and time with node-saml, then check what node-saml leaves to the
 * SP (conditions present, issuer, the bearer confirmation's recipient, InResponseTo and
 * window, an AuthnStatement, the IdP's session bound) on the verified assertion only.
 */
export async function validateSamlResponse(ctx: SamlContext, samlResponse: unknown, expectedRequestId: string | null): Promise<VerifiedAssertion> {
  const xml = decodeResponse(samlResponse);
  const envelope = checkEnvelope(xml, ctx, expectedRequestId);
  const { profile, decryptedWith } = await verifyWithNodeSaml(ctx, samlResponse as string, envelope.encrypted).catch((err: unknown) => {
    throw signatureHint(err, ctx, envelope);
  });
  const assertion = verifiedAssertionElement(profile);
  return { ...checkAssertion(assertion, profile, ctx, expectedRequestId ?? envelope.inResponseTo), decryptedWith, sha1Signature: envelope.sha1Signature };
}

function decodeResponse(samlResponse: unknown): string {
  if (typeof samlResponse !== 'string' || samlResponse.length === 0) return fail('saml_response_missing', 'no SAMLResponse field');
  if (samlResponse.length > SAML_LIMITS.maxResponseBase64Bytes) return fail('saml_response_too_large', `${samlResponse.length} bytes`);
  if (!/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) return fail('saml_malformed', 'SAMLResponse is not base64');
  return Buffer.from(samlResponse, 'base64').toString('utf8');
}

interface Envelope {
  inResponseTo: string | null;
  encrypted: boolean;
  /** Where the IdP put signatures (unverified: only to explain a refusal). */
  responseSigned: boolean;
  assertionSigned: boolean;
  /** A signature in view uses SHA-1 for its signature or digest (xml-crypto accepts both). */
  sha1Signature: boolean;
}

function checkEnvelope(xml: string, ctx: SamlContext, expectedRequestId: string | null): Envelope {
  let doc;
  try {
    doc = parseSafeXml(xml, { allowComments: false });
  } catch (err) {
    if (err instanceof UnsafeXmlError) {
      return fail(err.reason === 'dtd_forbidden' ? 'saml_dtd_forbidden' : err.reason === 'comment_forbidden' ? 'saml_comment_forbidden' : 'saml_malformed', err.message);
    }
    throw err;
  }
  const root = doc.documentElement as unknown as Element;
  if (root.namespaceURI !== SAMLP || root.localName !== 'Response') return fail('saml_malformed', 'root is not samlp:Response');
  // By local name, in any namespace: node-saml selects assertions by local name too.
  const count = (name: string) => doc.getElementsByTagNameNS('*', name).length;
  if (count('Response') !== 1) return fail('saml_multiple_assertions', 'more than one Response element');
  if (count('Assertion') + count('EncryptedAssertion') > 1) return fail('saml_multiple_assertions', 'more than one assertion');
  const encrypted = doc.getElementsByTagNameNS('*', 'EncryptedAssertion')[0];
  if (encrypted) checkEncryptionAlgorithms(encrypted);
  const assertion = doc.getElementsByTagNameNS('*', 'Assertion')[0];
  if (assertion && assertion.getElementsByTagNameNS(SAML, 'Conditions').length === 0) fail('saml_conditions_missing', 'assertion has no Conditions');
  checkResponseIssuer(root, ctx);
  const destination = root.getAttribute('Destination');
  if (destination && destination !== ctx.sp.acs_url) fail('saml_destination_mismatch', `Destination ${destination}`);
  const inResponseTo = root.getAttribute('InResponseTo') || null;
  if (expectedRequestId === null && inResponseTo !== null) fail('saml_unsolicited_response', 'unsolicited response answers a request we did not send');
  if (expectedRequestId !== null && inResponseTo !== expectedRequestId) fail('saml_in_response_to_mismatch', `InResponseTo ${inResponseTo}`);
  checkStatus(root);
  const responseSignature = childOf(root, DSIG, 'Signature');
  const assertionSignature = assertion === undefined ? undefined : childOf(assertion as unknown as Element, DSIG, 'Signature');
  return {
    inResponseTo,
    encrypted: encrypted !== undefined,
    responseSigned: responseSignature !== undefined,
    assertionSigned: assertionSignature !== undefined,
    sha1Signature: usesSha1(responseSignature) || usesSha1(assertionSignature),
  };
}

const SHA1_ALGORITHMS = new Set(['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#sha1']);

/** Whether a ds:Signature's SignatureMethod or a Reference's DigestMethod is SHA-1. */
function usesSha1(signature: Element | undefined): boolean {
  const signedInfo = signature && childOf(signature, DSIG, 'SignedInfo');
  if (!signedInfo) return false;
  if (SHA1_ALGORITHMS.has(childOf(signedInfo, DSIG, 'SignatureMethod')?.getAttribute('Algorithm') ?? '')) return true;
  for (let n = signedInfo.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).localName === 'Reference' && SHA1_ALGORITHMS.has(childOf(n as Element, DSIG, 'DigestMethod')?.getAttribute('Algorithm') ?? '')) return true;
  }
  return false;
}

const childOf = (parent: Element, ns: string, name: string): Element | undefined => {
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name) return n as Element;
  }
  return undefined;
};

const ENTITY_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

/**
 * node-saml says only "Invalid signature" when the IdP signed another element than the
 * connection requires (Okta apps can sign only the Response; some IdPs only the assertion):
 * the refusal stands, and its detail says which setting would accept that signature.
 */
function signatureHint(err: unknown, ctx: SamlContext, e: Envelope): unknown {
  if (!(err instanceof SamlValidationError) || err.reason !== 'saml_signature_invalid' || e.encrypted) return err;
  const s = ctx.connection.saml;
  if (s.want_assertions_signed && e.responseSigned && !e.assertionSigned) {
    return new SamlValidationError(err.reason, `${err.message}: the assertion is not signed (the IdP signs only the Response); have the IdP sign the assertion, or set saml.want_assertions_signed to false`);
  }
  if (s.want_response_signed && !e.responseSigned && e.assertionSigned) {
    return new SamlValidationError(err.reason, `${err.message}: the Response is not signed (the IdP signs only the assertion); have the IdP sign the Response, or set saml.want_response_signed to false`);
  }
  return err;
}

/** The Response's own Issuer, when present, is the IdP's entity id (profile 4.1.4.2), as the assertion's must be. */
function checkResponseIssuer(root: Element, ctx: SamlContext): void {
  const issuer = childOf(root, SAML, 'Issuer');
  if (!issuer) return;
  const format = issuer.getAttribute('Format');
  if (format && format !== ENTITY_FORMAT) fail('saml_issuer_mismatch', `Response Issuer Format ${format}`);
  const value = issuer.textContent?.trim();
  if (value !== ctx.connection.saml.idp_entity_id) fail('saml_issuer_mismatch', `Response Issuer ${value}`);
}

const STATUS = 'urn:oasis:names:tc:SAML:2.0:status:';
const statusName = (value: string | null | undefined) => (value?.startsWith(STATUS) ? value.slice(STATUS.length) : (value ?? ''));

/**
 * Anything but Success is the IdP refusing, even with an assertion attached (an IdP returning an
 * error must not include one, profile 4.1.4.2; node-saml would read the assertion and ignore the
 * status). `detail` names the top and second-level codes first (`Responder/NoPassive`,
 * `Responder/AuthnFailed`, `Requester/RequestDenied`), then the IdP's message.
 */
function checkStatus(root: Element): void {
  const status = childOf(root, SAMLP, 'Status');
  const code = status && childOf(status, SAMLP, 'StatusCode');
  if (!status || !code) return fail('saml_malformed', 'the response has no StatusCode');
  const value = code.getAttribute('Value');
  if (value === `${STATUS}Success`) return;
  const second = childOf(code, SAMLP, 'StatusCode')?.getAttribute('Value');
  const message = childOf(status, SAMLP, 'StatusMessage')?.textContent?.trim();
  fail('saml_idp_status_error', `${statusName(value)}${second ? `/${statusName(second)}` : ''}${message ? `: ${message}` : ''}`);
}

const XMLENC = 'http://www.w3.org/2001/04/xmlenc#';
/**
 * Content encryption and key transport an encrypted assertion may use. Refused: RSA PKCS#1 v1.5
 * key transport (a Bleichenbacher oracle; Node 20 also refuses it, with a less telling error)
 * and triple-DES, which the decryption library would otherwise accept.
 */
const ACCEPTED_ENCRYPTION = new Set([
  `${XMLENC}aes128-cbc`,
  `${XMLENC}aes256-cbc`,
  'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  `${XMLENC}rsa-oaep-mgf1p`,
]);

function checkEncryptionAlgorithms(encrypted: Element): void {
  const methods = encrypted.getElementsByTagNameNS('*', 'EncryptionMethod');
  for (let i = 0; i < methods.length; i++) {
    const algorithm = methods.item(i)?.getAttribute('Algorithm') ?? '';
    if (!ACCEPTED_ENCRYPTION.has(algorithm)) fail('saml_encryption_algorithm_refused', `encryption algorithm ${algorithm || '(none)'} is not accepted`);
  }
}

/**
 * node-saml with the current SP key; when an encrypted assertion does not decrypt with it, with
 * the other keys of a certificate rotation in turn (the first reason is the one reported). The
 * key that last decrypted is tried first: during a rotation the IdP keeps using one key, so each
 * sign-in pays for one decryption attempt, not one per key before it.
 */
async function verifyWithNodeSaml(ctx: SamlContext, samlResponse: string, encrypted: boolean): Promise<{ profile: Profile; decryptedWith: string | null }> {
  const current = buildSaml(ctx);
  const others = encrypted ? fallbackValidators(ctx) : [];
  const preferred = encrypted ? ctx.lastDecryptedWith : undefined;
  const order = preferred ? [preferred, ...[current, ...others].filter((v) => v !== preferred)] : [current, ...others];
  let first: unknown;
  for (const validator of order) {
    try {
      const result = await validator.validatePostResponseAsync({ SAMLResponse: samlResponse });
      if (encrypted) ctx.lastDecryptedWith = validator;
      if (!result.profile) return fail('saml_invalid_response', 'no assertion in the response');
      const other = others.indexOf(validator);
      return { profile: result.profile, decryptedWith: !encrypted ? null : other < 0 ? ctx.connection.saml.sp_certificate : (ctx.otherDecryptionCertificates[other] ?? null) };
    } catch (err) {
      const reason = classify(err);
      if (reason !== 'saml_decryption_failed') return fail(reason, (err as Error)?.message ?? String(err));
      first ??= err;
    }
  }
  return fail('saml_decryption_failed', (first as Error)?.message ?? String(first));
}

/**
 * node-saml reports failures as messages; the reason is read from them, after what can be told
 * by type: an IdP's error status (its message is the IdP's free text, "User is not assigned…")
 * and OpenSSL's errors, which only decryption lets out (signature checks catch their own).
 */
function classify(err: unknown): SamlFailure {
  if (err instanceof SamlStatusError) return 'saml_idp_status_error';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_OSSL_')) return 'saml_decryption_failed';
  const message = (err as Error | null)?.message ?? String(err);
  // node-saml's words for a signature whose reference finds no element (or several): not an extra assertion.
  if (/ID cannot refer/.test(message)) return 'saml_signature_invalid';
  if (/multiple assertions|more than one/i.test(message)) return 'saml_multiple_assertions';
  if (/decrypt|EncryptedAssertion|No decryption key|unable to authenticate data|padding length invalid/i.test(message)) return 'saml_decryption_failed';
  // The envelope already parsed cleanly with the same parser, so an XML error here is in the
  // decrypted plaintext; "callback is not defined" is how xml-encryption 3.1 reports bad CBC padding.
  if (/^\[xmldom |callback is not defined/.test(message)) return 'saml_decryption_failed';
  if (/signature|\bsigned|digest|Referenced node|ID cannot refer/i.test(message)) return 'saml_signature_invalid';
  if (/expired/i.test(message)) return 'saml_assertion_expired';
  if (/not yet valid/i.test(message)) return 'saml_assertion_not_yet_valid';
  if (/reading 'AudienceRestriction'/.test(message)) return 'saml_conditions_missing';
  if (/audience|AudienceRestriction/i.test(message)) return 'saml_audience_mismatch';
  if (/SAML provider returned/i.test(message)) return 'saml_idp_status_error';
  if (/subject confirmation/i.test(message)) return 'saml_subject_confirmation_invalid';
  if (/conditions/i.test(message)) return 'saml_conditions_missing';
  return 'saml_invalid_response';
}

/** The assertion as node-saml parsed it from the verified bytes (xml2js shape). */
function verifiedAssertionElement(profile: Profile): Record<string, any> {
  const parsed = (profile as Profile & { getAssertion?: () => Record<string, any> }).getAssertion?.();
  const assertion = parsed?.Assertion;
  if (!assertion) return fail('saml_invalid_response', 'no verified assertion');
  return assertion;
}

/**
 * node-saml judges Conditions by the system clock (it takes no Clock); the rest of the assertion
 * is judged at the same instant, against the same clock.
 */
function checkAssertion(a: Record<string, any>, profile: Profile, ctx: SamlContext, expectedInResponseTo: string | null): Omit<VerifiedAssertion, 'decryptedWith' | 'sha1Signature'> {
  const now = Date.now();
  const skewMs = ctx.connection.saml.clock_skew_seconds * 1000;
  const issuer = a.Issuer?.[0]?._ ?? a.Issuer?.[0];
  if (issuer !== ctx.connection.saml.idp_entity_id) fail('saml_issuer_mismatch', `Issuer ${issuer}`);
  const issuerFormat = a.Issuer?.[0]?.$?.Format;
  if (issuerFormat && issuerFormat !== ENTITY_FORMAT) fail('saml_issuer_mismatch', `Issuer Format ${issuerFormat}`);
  const conditions = a.Conditions?.[0]?.$;
  if (!conditions?.NotOnOrAfter) fail('saml_conditions_missing', 'assertion has no Conditions with NotOnOrAfter');
  if (!a.Conditions?.[0]?.AudienceRestriction) fail('saml_conditions_missing', 'assertion has no AudienceRestriction');
  checkBearerConfirmation(a, ctx, expectedInResponseTo, now, skewMs);
  const assertionId = a.$?.ID;
  if (!assertionId) fail('saml_invalid_response', 'assertion has no ID');
  if (!profile.nameID) {
    const encrypted = a.Subject?.[0]?.EncryptedID !== undefined;
    fail('saml_invalid_response', encrypted ? 'the NameID is encrypted (EncryptedID), which is not supported: have the IdP encrypt the whole assertion instead' : 'assertion has no NameID');
  }
  const statements: any[] = a.AuthnStatement ?? [];
  if (statements.length === 0) fail('saml_authn_statement_missing', 'the assertion states no authentication (no AuthnStatement)');
  const sessionNotOnOrAfter = earliestSessionEnd(statements, now, skewMs);
  const authn = statements[0]?.AuthnContext?.[0]?.AuthnContextClassRef?.[0];
  return {
    assertionId,
    notOnOrAfter: new Date(conditions.NotOnOrAfter),
    nameId: profile.nameID,
    nameIdFormat: profile.nameIDFormat ?? null,
    sessionIndex: profile.sessionIndex ?? null,
    attributes: (profile.attributes as Record<string, unknown> | undefined) ?? {},
    authnContext: typeof authn === 'string' ? authn : (authn?._ ?? null),
    sessionNotOnOrAfter,
    authnInstant: instant(statements[0]?.$?.AuthnInstant),
  };
}

/**
 * Profile 4.1.4.2: a bearer SubjectConfirmation whose data names our ACS as Recipient and whose
 * NotOnOrAfter (the window for delivering the assertion, often shorter than the Conditions) has
 * not passed; a NotBefore, which the profile forbids there, is honoured rather than refused.
 * node-saml checks that window only while validating InResponseTo itself, which it does not do
 * here (Portcullis does, against the login state; node-saml issue #436).
 */
function checkBearerConfirmation(a: Record<string, any>, ctx: SamlContext, expectedInResponseTo: string | null, now: number, skewMs: number): void {
  const confirmations: any[] = a.Subject?.[0]?.SubjectConfirmation ?? [];
  const bearer = confirmations.filter((s) => s?.$?.Method === 'urn:oasis:names:tc:SAML:2.0:cm:bearer');
  if (bearer.length === 0) fail('saml_subject_confirmation_invalid', 'no bearer SubjectConfirmation');
  const data = bearer.map((b) => b.SubjectConfirmationData?.[0]?.$ ?? {});
  const forUs = data.filter((d) => d.Recipient === ctx.sp.acs_url);
  if (forUs.length === 0) fail('saml_recipient_mismatch', `Recipient ${data.map((d) => d.Recipient).join(',')}`);
  if (!data.every((d) => (d.InResponseTo ?? null) === expectedInResponseTo)) {
    fail('saml_in_response_to_mismatch', 'SubjectConfirmationData InResponseTo differs');
  }
  const inWindow = (d: Record<string, string>) => {
    const notOnOrAfter = Date.parse(d.NotOnOrAfter ?? '');
    const notBefore = d.NotBefore === undefined ? -Infinity : Date.parse(d.NotBefore);
    return now - skewMs < notOnOrAfter && now + skewMs >= notBefore;
  };
  if (!forUs.some(inWindow)) {
    const windows = forUs.map((d) => `${d.NotBefore ? `NotBefore ${d.NotBefore} ` : ''}NotOnOrAfter ${d.NotOnOrAfter ?? '(none)'}`);
    fail('saml_subject_confirmation_expired', `SubjectConfirmationData ${windows.join(', ')}`);
  }
}

const instant = (value: unknown): Date | null => {
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(t) ? null : new Date(t);
};

/** The earliest SessionNotOnOrAfter of the AuthnStatements; refused when already past (after the skew). */
function earliestSessionEnd(statements: any[], now: number, skewMs: number): Date | null {
  const ends = statements.flatMap((s) => (s?.$?.SessionNotOnOrAfter ? [s.$.SessionNotOnOrAfter as string] : []));
  if (ends.length === 0) return null;
  const earliest = Math.min(...ends.map((e) => Date.parse(e)));
  if (Number.isNaN(earliest)) return fail('saml_invalid_response', `SessionNotOnOrAfter ${ends.join(',')} is not a date`);
  if (now - skewMs >= earliest) fail('saml_idp_session_expired', `SessionNotOnOrAfter ${new Date(earliest).toISOString()}`);
  return new Date(earliest);
}
