import type { SamlContext } from './service-provider.ts';
import { DSIG, childOf } from './failures.ts';

/** The signatures of a response as the envelope shows them (unverified: this file tells which of them node-saml verified). */
export interface SignaturesInView {
  /** The Response's own ds:Signature (the one node-saml checks: its only direct-child signature). */
  response: Element | undefined;
  /** The plain assertion's own ds:Signature (undefined for an encrypted assertion). */
  assertion: Element | undefined;
  encrypted: boolean;
}

/** A signature node-saml relied on that uses SHA-1, and the SHA-1 algorithms it names. */
export interface Sha1Signature {
  signature: 'Response' | 'assertion';
  algorithms: string[];
}

/** RSA-SHA1, HMAC-SHA1, DSA-SHA1, ECDSA-SHA1 signature methods and the SHA-1 digest. */
const isSha1 = (uri: string) => /sha1(?!\d)/i.test(uri);

/**
 * Every SignatureMethod and DigestMethod algorithm inside a ds:Signature, at any depth and in
 * any namespace: more than xml-crypto reads (its first SignatureMethod anywhere in the
 * signature, each Reference's first DigestMethod), so a decoy cannot hide the one it used.
 */
function domAlgorithms(signature: Element | undefined): string[] {
  if (!signature) return [];
  const out: string[] = [];
  for (const name of ['SignatureMethod', 'DigestMethod']) {
    const nodes = signature.getElementsByTagNameNS('*', name);
    for (let i = 0; i < nodes.length; i++) out.push(nodes.item(i)?.getAttribute('Algorithm') ?? '');
  }
  return out;
}

/** The same, over node-saml's xml2js reading of the verified assertion. */
function parsedAlgorithms(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const v of value) parsedAlgorithms(v, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$' || key === '_') continue;
      if (key === 'SignatureMethod' || key === 'DigestMethod') for (const m of child as any[]) out.push(m?.$?.Algorithm ?? '');
      parsedAlgorithms(child, out);
    }
  }
  return out;
}

/**
 * The signatures node-saml relied on that use SHA-1. node-saml verifies the Response's signature
 * when there is one (required with `want_response_signed`) and the assertion's when
 * `want_assertions_signed` or when the Response's did not verify; it then reads the assertion
 * from the verified bytes, and xml-crypto's enveloped-signature transform strips only the
 * signature being verified. So the verified assertion still carries its own signature exactly
 * when it was taken from inside the verified Response. An unverified signature (an unsigned
 * decoy beside the real one) counts for nothing either way.
 *
 * An encrypted assertion whose signature node-saml verified lost it in the verified copy: that
 * signature is read by decrypting once more (`decrypted`: one more RSA decryption, paid only by
 * encrypted assertions whose own signature was the one verified), also where SHA-1 is allowed,
 * so that every sign-in still using it is flagged.
 */
export async function sha1Signatures(
  ctx: SamlContext,
  view: SignaturesInView,
  verifiedAssertion: Record<string, any>,
  decrypted: () => Promise<Element>,
): Promise<Sha1Signature[]> {
  const s = ctx.connection.saml;
  const response = { signature: 'Response', algorithms: domAlgorithms(view.response) } as const;
  const relied: Sha1Signature[] = [];
  const inner = verifiedAssertion.Signature;
  if (inner !== undefined && view.response) {
    relied.push(response);
    if (s.want_assertions_signed) relied.push({ signature: 'assertion', algorithms: view.encrypted ? parsedAlgorithms(inner) : domAlgorithms(view.assertion) });
  } else if (!view.encrypted) {
    relied.push(view.assertion ? { signature: 'assertion', algorithms: domAlgorithms(view.assertion) } : response);
  } else if (view.response && s.want_response_signed) {
    relied.push(response); // the verified Response held an encrypted assertion with no signature of its own
  } else {
    const signature = childOf(await decrypted(), DSIG, 'Signature');
    relied.push(signature ? { signature: 'assertion', algorithms: domAlgorithms(signature) } : response);
  }
  return relied.map((r) => ({ ...r, algorithms: [...new Set(r.algorithms.filter(isSha1))] })).filter((r) => r.algorithms.length > 0);
}
