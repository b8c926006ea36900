import { DOMParser } from '@xmldom/xmldom';

/** Limits on XML Portcullis accepts from IdPs. */
export const SAML_LIMITS = {
  /** A SAMLResponse form field (base64) above this is refused before decoding. */
  maxResponseBase64Bytes: 512 * 1024,
  /**
   * Elements in a SAML response, and again in an encrypted assertion's plaintext. The verifier's
   * XPath lookups cost time quadratic in the number of sibling elements (20,000 empty ones took
   * seconds before any signature was checked), while a real response, even with 1,500 groups, has
   * fewer than 2,000.
   */
  maxMessageElements: 5_000,
  maxMetadataBytes: 1024 * 1024,
} as const;

export class UnsafeXmlError extends Error {
  constructor(readonly reason: 'dtd_forbidden' | 'comment_forbidden' | 'malformed_xml' | 'too_many_elements', message: string) {
    super(message);
    this.name = 'UnsafeXmlError';
  }
}

/**
 * Refuses what no honest IdP sends and what XML attacks need: any DTD (XXE, entity expansion
 * such as "billion laughs") and, in protocol messages, comments (the NameID comment-injection
 * trick relies on parsers that stop reading text at a comment).
 */
export function assertSafeXml(xml: string, options: { allowComments: boolean }): void {
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) throw new UnsafeXmlError('dtd_forbidden', 'XML with a DTD is not accepted.');
  if (!options.allowComments && xml.includes('<!--')) throw new UnsafeXmlError('comment_forbidden', 'XML comments are not accepted in SAML messages.');
}

/**
 * Refuses XML with more than `SAML_LIMITS.maxMessageElements` start tags, read from the text
 * before any parser runs: `<` appears in well-formed XML only in markup, so counting each `<` not
 * followed by `/`, `!` or `?` can overcount (inside comments, CDATA, processing instructions) but
 * never undercount.
 */
export function assertFewElements(xml: string): void {
  let elements = 0;
  for (let i = xml.indexOf('<'); i !== -1; i = xml.indexOf('<', i + 1)) {
    const next = xml[i + 1];
    if (next !== '/' && next !== '!' && next !== '?' && ++elements > SAML_LIMITS.maxMessageElements) {
      throw new UnsafeXmlError('too_many_elements', `The XML has more than ${SAML_LIMITS.maxMessageElements} elements.`);
    }
  }
}

/** Parses after `assertSafeXml`; any parser warning or error counts as malformed. */
export function parseSafeXml(xml: string, options: { allowComments: boolean }): Document {
  assertSafeXml(xml, options);
  const problems: string[] = [];
  const doc = new DOMParser({
    errorHandler: {
      warning: (m) => problems.push(String(m)),
      error: (m) => problems.push(String(m)),
      fatalError: (m) => problems.push(String(m)),
    },
  }).parseFromString(xml, 'text/xml');
  if (problems.length > 0 || !doc?.documentElement) throw new UnsafeXmlError('malformed_xml', 'The XML is malformed.');
  return doc;
}
