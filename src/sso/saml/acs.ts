import type { Profile } from '@node-saml/node-saml';
import { decryptXml } from '@node-saml/node-saml/lib/xml.js';
import { UnsafeXmlError, SAML_LIMITS, assertFewElements, parseSafeXml } from './xml-safety.ts';
import { buildSaml, fallbackValidators, type SamlContext } from './service-provider.ts';
import { BEARER, DSIG, SAML, SAMLP, childOf, fail, type SamlFailure } from './failures.ts';
import { classify, explainRefusal } from './refusals.ts';
import { sha1Signatures, type Sha1Signature, type SignaturesInView } from './signature-algorithms.ts';
import { decryptAssertion } from './decrypted-assertion.ts';

export { SamlValidationError, type SamlFailure } from './failures.ts';

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
  /**
   * A signature node-saml relied on uses SHA-1 (RSA-SHA1 or a SHA-1 digest), which the connection
   * allows (`allow_sha1_signatures`; otherwise the response is refused): the admin is told to
   * move the IdP to SHA-256.
   */
  sha1Signature: boolean;
  /** `EncryptedAttribute`s in the verified assertion: node-saml reads only plain attributes, so these are not in `attributes`. */
  encryptedAttributes: number;
  /** For an encrypted assertion, the SP certificate whose key decrypted it (null otherwise). */
  decryptedWith: string | null;
}

/**
 * Validates a posted SAMLResponse for one connection. `expectedRequestId` is the id of the
 * AuthnRequest this browser's login sent, or null for IdP-initiated login. Steps, in order:
 * decode and screen the XML, check the envelope (destination, Response issuer, InResponseTo,
 * status), verify signatures and time with node-saml, refuse SHA-1 in the signatures it relied
 * on (unless the connection allows it), then check what node-saml leaves to the SP (conditions
 * present, issuer, the bearer confirmation's recipient, InResponseTo and window, an
 * AuthnStatement, the IdP's session bound) on the verified assertion only.
 */
export async function validateSamlResponse(ctx: SamlContext, samlResponse: unknown, expectedRequestId: string | null): Promise<VerifiedAssertion> {
  const xml = decodeResponse(samlResponse);
  const envelope = checkEnvelope(xml, ctx, expectedRequestId);
  const { profile, decryptedWith, plaintext } = await verifyWithNodeSaml(ctx, samlResponse as string, envelope);
  const assertion = verifiedAssertionElement(profile);
  const sha1 = await sha1Signatures(ctx, envelope.signatures, assertion, plaintext);
  if (sha1.length > 0 && !ctx.sha1Allowed) fail('saml_sha1_signature_refused', sha1Refusal(sha1, ctx.sha1RefusedByOperator));
  return { ...checkAssertion(assertion, profile, ctx, expectedRequestId ?? envelope.inResponseTo), decryptedWith, sha1Signature: sha1.length > 0 };
}

const sha1Refusal = (sha1: Sha1Signature[], byOperator: boolean) =>
  `${sha1.map((s) => `the ${s.signature} signature uses SHA-1 (${s.algorithms.join(', ')})`).join('; ')}: ` +
  (byOperator
    ? 'switch the IdP app to sign with SHA-256 (this deployment refuses SHA-1 on every connection: PORTCULLIS_SAML_SHA1=refuse)'
    : 'switch the IdP app to sign with SHA-256, or set saml.allow_sha1_signatures: true on this connection to accept it');

function decodeResponse(samlResponse: unknown): string {
  if (typeof samlResponse !== 'string' || samlResponse.length === 0) return fail('saml_response_missing', 'no SAMLResponse field');
  if (samlResponse.length > SAML_LIMITS.maxResponseBase64Bytes) return fail('saml_response_too_large', `${samlResponse.length} bytes`);
  if (!/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) return fail('saml_malformed', 'SAMLResponse is not base64');
  return Buffer.from(samlResponse, 'base64').toString('utf8');
}

/** The refusal for each way the screening before the parser refuses XML. */
const UNSAFE_XML: Record<UnsafeXmlError['reason'], SamlFailure> = {
  dtd_forbidden: 'saml_dtd_forbidden',
  comment_forbidden: 'saml_comment_forbidden',
  malformed_xml: 'saml_malformed',
  too_many_elements: 'saml_response_too_large',
};

/** The envelope as parsed once (unverified): its elements only explain or look up what node-saml verified. */
interface Envelope {
  inResponseTo: string | null;
  encrypted: boolean;
  responseSigned: boolean;
  assertionSigned: boolean;
  /** The plain assertion (undefined when it is encrypted). */
  assertion: Element | undefined;
  /** The EncryptedAssertion, decrypted again only where a check needs what node-saml's result leaves out. */
  encryptedAssertion: Element | undefined;
  signatures: SignaturesInView;
}

function checkEnvelope(xml: string, ctx: SamlContext, expectedRequestId: string | null): Envelope {
  let doc;
  try {
    assertFewElements(xml);
    doc = parseSafeXml(xml, { allowComments: false });
  } catch (err) {
    if (err instanceof UnsafeXmlError) return fail(UNSAFE_XML[err.reason], err.message);
    throw err;
  }
  const root = doc.documentElement as unknown as Element;
  if (root.namespaceURI !== SAMLP || root.localName !== 'Response') return fail('saml_malformed', 'root is not samlp:Response');
  // By local name, in any namespace: node-saml selects assertions by local name too.
  const count = (name: string) => doc.getElementsByTagNameNS('*', name).length;
  if (count('Response') !== 1) return fail('saml_multiple_assertions', 'more than one Response element');
  if (count('Assertion') + count('EncryptedAssertion') > 1) return fail('saml_multiple_assertions', 'more than one assertion');
  const encrypted = doc.getElementsByTagNameNS('*', 'EncryptedAssertion')[0] as unknown as Element | undefined;
  if (encrypted) checkEncryptionAlgorithms(encrypted);
  const assertion = doc.getElementsByTagNameNS('*', 'Assertion')[0] as unknown as Element | undefined;
  if (assertion) checkConditionsPresent(assertion);
  checkResponseIssuer(root, ctx);
  const responseSignature = childOf(root, DSIG, 'Signature');
  // Destination, when present, is our ACS; a Response carrying its own signature must have one
  // (bindings 3.5.5.2: a signed message sent over HTTP POST names where it is sent).
  const destination = root.getAttribute('Destination');
  if (destination && destination !== ctx.sp.acs_url) fail('saml_destination_mismatch', `Destination ${destination}`);
  const inResponseTo = root.getAttribute('InResponseTo') || null;
  if (expectedRequestId === null && inResponseTo !== null) fail('saml_unsolicited_response', 'unsolicited response answers a request we did not send');
  if (expectedRequestId !== null && inResponseTo !== expectedRequestId) fail('saml_in_response_to_mismatch', `InResponseTo ${inResponseTo}`);
  checkStatus(root);
  // Checked after the status: an IdP's signed error answer without one is refused for its status, which says more.
  if (!destination && responseSignature) fail('saml_destination_mismatch', 'signed Response without Destination');
  const assertionSignature = assertion && childOf(assertion, DSIG, 'Signature');
  return {
    inResponseTo,
    encrypted: encrypted !== undefined,
    responseSigned: responseSignature !== undefined,
    assertionSigned: assertionSignature !== undefined,
    assertion,
    encryptedAssertion: encrypted,
    signatures: { response: responseSignature, assertion: assertionSignature, encrypted: encrypted !== undefined },
  };
}

/**
 * Conditions with a NotOnOrAfter and an AudienceRestriction, named precisely (node-saml would
 * report missing ones as an audience mismatch). Read before verification: this only refuses, and
 * the verified assertion is checked again (checkAssertion).
 */
function checkConditionsPresent(assertion: Element): void {
  const conditions = assertion.getElementsByTagNameNS(SAML, 'Conditions')[0];
  if (!conditions) return fail('saml_conditions_missing', 'assertion has no Conditions');
  if (!conditions.getAttribute('NotOnOrAfter')) return fail('saml_conditions_missing', 'assertion has no Conditions with NotOnOrAfter');
  if (conditions.getElementsByTagNameNS(SAML, 'AudienceRestriction').length === 0) fail('saml_conditions_missing', 'assertion has no AudienceRestriction');
}

const ENTITY_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';

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
async function verifyWithNodeSaml(ctx: SamlContext, samlResponse: string, e: Envelope): Promise<{ profile: Profile; decryptedWith: string | null; plaintext: () => Promise<Element> }> {
  const current = buildSaml(ctx);
  const others = e.encrypted ? fallbackValidators(ctx) : [];
  const preferred = e.encrypted ? ctx.lastDecryptedWith : undefined;
  const order = preferred ? [preferred, ...[current, ...others].filter((v) => v !== preferred)] : [current, ...others];
  // A validator's key: the current one, or the rotation key at its place among `others`.
  const screened = e.encryptedAssertion ? await screenPlaintext(e.encryptedAssertion, order.map((v) => ctx.otherDecryptionKeys[others.indexOf(v)] ?? ctx.spPrivateKey)) : undefined;
  // The assertion as sent, for what node-saml's result leaves out: the envelope's, or the
  // encrypted one as decrypted with the key that got node-saml past decryption (by the screening already, when that key is the one).
  const plaintextWith = (other: number) => async (): Promise<Element> => {
    if (e.assertion) return e.assertion;
    const key = other < 0 ? ctx.spPrivateKey : ctx.otherDecryptionKeys[other];
    if (!e.encryptedAssertion || !key) return fail('saml_invalid_response', 'no assertion in the response');
    return decryptAssertion(e.encryptedAssertion, key, screened?.key === key ? screened.plaintext : undefined);
  };
  let first: unknown;
  for (const validator of order) {
    const other = others.indexOf(validator);
    try {
      const result = await validator.validatePostResponseAsync({ SAMLResponse: samlResponse });
      if (e.encrypted) ctx.lastDecryptedWith = validator;
      if (!result.profile) return fail('saml_invalid_response', 'no assertion in the response');
      const decryptedWith = !e.encrypted ? null : other < 0 ? ctx.connection.saml.sp_certificate : (ctx.otherDecryptionCertificates[other] ?? null);
      return { profile: result.profile, decryptedWith, plaintext: plaintextWith(other) };
    } catch (err) {
      const reason = classify(err);
      if (reason !== 'saml_decryption_failed') throw await explainRefusal(err, reason, ctx, e, plaintextWith(other));
      first ??= err;
    }
  }
  return fail('saml_decryption_failed', (first as Error)?.message ?? String(first));
}

/**
 * The envelope's limit on elements, applied to an encrypted assertion's plaintext before
 * node-saml reads it: anyone can encrypt to the SP certificate, so the plaintext is as much the
 * sender's choice as the envelope. Decrypted with the first of `keys` that works (one more
 * decryption per encrypted sign-in), returned with that key for the checks that read it later;
 * when none works, node-saml reports that.
 */
async function screenPlaintext(encrypted: Element, keys: string[]): Promise<{ key: string; plaintext: string } | undefined> {
  const ciphertext = encrypted.toString();
  for (const key of keys) {
    const plaintext: string | undefined = await decryptXml(ciphertext, key).catch(() => undefined);
    if (plaintext === undefined) continue;
    try {
      assertFewElements(plaintext);
      return { key, plaintext };
    } catch (err) {
      if (err instanceof UnsafeXmlError) return fail('saml_response_too_large', `EncryptedAssertion: ${err.message}`);
      throw err;
    }
  }
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
  if (a.Conditions.length > 1) fail('saml_invalid_response', 'more than one Conditions element (an assertion has at most one, SAML core 2.3.3)');
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
    encryptedAttributes: (a.AttributeStatement ?? []).reduce((n: number, st: any) => n + (Array.isArray(st?.EncryptedAttribute) ? st.EncryptedAttribute.length : 0), 0),
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
  const bearer = confirmations.filter((s) => s?.$?.Method === BEARER);
  if (bearer.length === 0) fail('saml_subject_confirmation_invalid', 'no bearer SubjectConfirmation');
  const data = bearer.map((b) => b.SubjectConfirmationData?.[0]?.$ ?? {});
  const forUs = data.filter((d) => d.Recipient === ctx.sp.acs_url);
  if (forUs.length === 0) fail('saml_recipient_mismatch', `Recipient ${data.map((d) => d.Recipient).join(',')}`);
  if (!data.every((d) => (d.InResponseTo ?? null) === expectedInResponseTo)) {
    fail('saml_in_response_to_mismatch', 'SubjectConfirmationData InResponseTo differs');
  }
  // The profile requires a NotOnOrAfter of the bearer confirmation: one without is not "expired".
  const timed = forUs.filter((d) => !Number.isNaN(Date.parse(d.NotOnOrAfter ?? '')));
  if (timed.length === 0) {
    const given = forUs.find((d) => d.NotOnOrAfter !== undefined)?.NotOnOrAfter;
    fail('saml_subject_confirmation_invalid', given === undefined ? 'bearer SubjectConfirmationData has no NotOnOrAfter' : `bearer SubjectConfirmationData NotOnOrAfter ${given} is not a date`);
  }
  const inWindow = (d: Record<string, string>) => {
    const notBefore = d.NotBefore === undefined ? -Infinity : Date.parse(d.NotBefore);
    return now - skewMs < Date.parse(d.NotOnOrAfter ?? '') && now + skewMs >= notBefore;
  };
  if (!timed.some(inWindow)) {
    const windows = timed.map((d) => `${d.NotBefore ? `NotBefore ${d.NotBefore} ` : ''}NotOnOrAfter ${d.NotOnOrAfter}`);
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
