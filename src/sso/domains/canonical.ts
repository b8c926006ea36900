import { domainToASCII } from 'node:url';

/** A host name of at least two labels, in ASCII (IDNs as their `xn--` A-labels, top-level ones included). */
const DOMAIN_PATTERN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * The one spelling of a domain that claims are stored and compared in: lower-case ASCII, an
 * internationalised name as its punycode A-labels (UTS #46 / IDNA 2008 via WHATWG URL's
 * `domainToASCII`), no trailing dot. `Bücher.example`, `xn--bcher-kva.example` and
 * `XN--BCHER-KVA.example.` are one domain. Undefined when `raw` is not a domain name (a URL, an
 * address, an IP, a label that is not valid punycode).
 */
export function canonicalDomain(raw: string): string | undefined {
  const name = raw.trim().replace(/\.$/, '');
  // domainToASCII parses a URL host: it would take `acme.com` out of `acme.com/x`.
  if (name === '' || /[\s/\\?#@:%[\]]/.test(name)) return undefined;
  const ascii = domainToASCII(name);
  return ascii && DOMAIN_PATTERN.test(ascii) ? ascii : undefined;
}
