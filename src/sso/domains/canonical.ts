import { domainToASCII, domainToUnicode } from 'node:url';

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

/**
 * The canonical form of an email address's domain when the address spells it as IDNA does:
 * each label its A-label (`xn--bcher-kva`) or its U-label (`bücher`), in any case. Undefined
 * for a spelling that UTS #46 only maps onto a domain (full-width letters `ｂａｎｋ`, an
 * ideographic full stop, `℡`, a trailing dot): such an address is not the domain's address as
 * text (no user is found by it, nothing reserved matches it), yet apps that normalise addresses
 * read it as one. Routing may take those (`canonicalDomain`); vouching for an address may not.
 */
export function exactEmailDomain(raw: string): string | undefined {
  const canonical = canonicalDomain(raw);
  if (!canonical) return undefined;
  const labels = raw.normalize('NFC').toLowerCase().split('.');
  const ascii = canonical.split('.');
  const unicode = domainToUnicode(canonical).split('.');
  if (labels.length !== ascii.length || unicode.length !== ascii.length) return undefined;
  return labels.every((l, i) => l === ascii[i] || l === unicode[i]) ? canonical : undefined;
}

/**
 * The spellings under which the directory may hold `email`: as given, and with its domain's
 * A-labels and U-labels (an internationalised domain has both, and SCIM clients and IdPs send
 * either). One spelling for an ASCII domain, or for what is not an address with a domain.
 */
export function emailSpellings(email: string): string[] {
  const at = email.lastIndexOf('@');
  const canonical = at > 0 ? canonicalDomain(email.slice(at + 1)) : undefined;
  if (!canonical) return [email];
  const local = email.slice(0, at);
  return [...new Set([email, `${local}@${canonical}`, `${local}@${domainToUnicode(canonical)}`])];
}
