import { DOMParser } from '@xmldom/xmldom';

/** Limits on XML Portcullis accepts from IdPs. */
export const SAML_LIMITS = {
  /** A SAMLResponse form field (base64) above this is refused before decoding. */
  maxResponseBase64Bytes: 512 * 1024,
  maxMetadataBytes: 1024 * 1024,
} as const;

export class UnsafeXmlError extends Error {
  constructor(readonly reason: 'dtd_forbidden' | 'comment_forbidden' | 'malformed_xml', message: string) {
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
