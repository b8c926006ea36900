import { SamlStatusError } from '@node-saml/node-saml';
import type { SamlContext } from './service-provider.ts';
import { BEARER, SamlValidationError, childrenNamed, type SamlFailure } from './failures.ts';

/** What the envelope showed (unverified): only to explain a refusal node-saml made. */
export interface EnvelopeView {
  encrypted: boolean;
  responseSigned: boolean;
  assertionSigned: boolean;
}

/**
 * node-saml reports failures as messages; the reason is read from them, after what can be told
 * by type: an IdP's error status (its message is the IdP's free text, "User is not assigned…")
 * and OpenSSL's errors, which only decryption lets out (signature checks catch their own).
 */
export function classify(err: unknown): SamlFailure {
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
  if (/multiple conditions/i.test(message)) return 'saml_invalid_response';
  if (/conditions/i.test(message)) return 'saml_conditions_missing';
  return 'saml_invalid_response';
}

/**
 * node-saml's refusal, with a detail that says what to change where its own words do not:
 * the refusal always stands. `assertion` gives the assertion as sent (the envelope's, or the
 * encrypted one decrypted again): node-saml reached the check that failed only after verifying
 * its signature.
 */
export async function explainRefusal(err: unknown, reason: SamlFailure, ctx: SamlContext, e: EnvelopeView, assertion: () => Promise<Element>): Promise<SamlValidationError> {
  const message = (err as Error | null)?.message ?? String(err);
  if (reason === 'saml_signature_invalid') return new SamlValidationError(reason, signatureHint(message, ctx, e));
  if (/multiple conditions/i.test(message)) return new SamlValidationError(reason, 'more than one Conditions element (an assertion has at most one, SAML core 2.3.3)');
  if (/^Error parsing NotOnOrAfter:/.test(message)) {
    const missing = missingNotOnOrAfter(await assertion().catch(() => undefined));
    if (missing) return new SamlValidationError(missing[0], missing[1]);
  }
  return new SamlValidationError(reason, message);
}

/**
 * node-saml says only "Invalid signature" when the IdP signed another element than the
 * connection requires (Okta apps can sign only the Response; some IdPs only the assertion):
 * the detail says which setting would accept that signature.
 */
function signatureHint(message: string, ctx: SamlContext, e: EnvelopeView): string {
  if (e.encrypted) return message;
  const s = ctx.connection.saml;
  if (s.want_assertions_signed && e.responseSigned && !e.assertionSigned) {
    return `${message}: the assertion is not signed (the IdP signs only the Response); have the IdP sign the assertion, or set saml.want_assertions_signed to false`;
  }
  if (s.want_response_signed && !e.responseSigned && e.assertionSigned) {
    return `${message}: the Response is not signed (the IdP signs only the assertion); have the IdP sign the Response, or set saml.want_response_signed to false`;
  }
  return message;
}

/**
 * node-saml reads the NotOnOrAfter of each SubjectConfirmationData (until one is valid), then of
 * the Conditions, and fails on one that is absent or not a date with the same words. Named here:
 * the first of them that lacks a usable one (the bearer confirmation's is required by the
 * profile, 4.1.4.2; the Conditions' by Portcullis).
 */
function missingNotOnOrAfter(assertion: Element | undefined): [SamlFailure, string] | undefined {
  if (!assertion) return undefined;
  const subject = childrenNamed(assertion, 'Subject')[0];
  for (const confirmation of subject ? childrenNamed(subject, 'SubjectConfirmation') : []) {
    const data = childrenNamed(confirmation, 'SubjectConfirmationData')[0];
    if (!data || data.attributes.length === 0) continue;
    const value = data.getAttribute('NotOnOrAfter');
    if (value && !Number.isNaN(Date.parse(value))) continue;
    const method = confirmation.getAttribute('Method');
    const which = method === BEARER ? 'bearer SubjectConfirmationData' : `SubjectConfirmationData (Method ${method})`;
    return ['saml_subject_confirmation_invalid', value ? `${which} NotOnOrAfter ${value} is not a date` : `${which} has no NotOnOrAfter`];
  }
  const conditions = childrenNamed(assertion, 'Conditions')[0];
  if (conditions && !conditions.getAttribute('NotOnOrAfter')) return ['saml_conditions_missing', 'assertion has no Conditions with NotOnOrAfter'];
  return undefined;
}
