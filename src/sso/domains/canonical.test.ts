import { describe, expect, it } from 'vitest';
import { canonicalDomain } from './canonical.ts';

describe('the canonical spelling of a domain', () => {
  it('is the lower-case A-label form whatever the spelling: Unicode, punycode, case, trailing dot', () => {
    for (const d of ['bücher.test', 'BÜCHER.test', 'xn--bcher-kva.test', 'XN--BCHER-KVA.TEST.', ' bücher.test ']) expect([d, canonicalDomain(d)]).toEqual([d, 'xn--bcher-kva.test']);
    expect(canonicalDomain('Acme.COM')).toBe('acme.com');
    expect(canonicalDomain('пример.рф')).toBe('xn--e1afmkfd.xn--p1ai');
    // UTS #46 mapping: full-width letters are the ASCII ones (as browsers and mail clients resolve them).
    expect(canonicalDomain('ａｃｍｅ.test')).toBe('acme.test');
  });

  it('is none for what is not a domain name (URLs, addresses, IPs, invalid punycode, one label)', () => {
    for (const d of ['', 'https://acme.com', 'acme.com/x', '@acme.com', 'a@acme.com', 'acme.com:443', '1.2.3.4', '[::1]', 'localhost', 'xn--zz.test', 'a b.com', 'acme..com', '-acme.com']) {
      expect([d, canonicalDomain(d)]).toEqual([d, undefined]);
    }
  });
});
