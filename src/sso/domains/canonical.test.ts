import { describe, expect, it } from 'vitest';
import { canonicalDomain, emailSpellings, exactEmailDomain } from './canonical.ts';

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

  it("vouches for an email's domain only in an IDNA spelling (A-labels or U-labels per label), not a look-alike UTS #46 maps onto it", () => {
    for (const d of ['bücher.test', 'BÜCHER.test', 'xn--bcher-kva.test', 'XN--BCHER-KVA.test', 'bu\u0308cher.test', 'acme.test', 'пример.xn--p1ai']) expect([d, exactEmailDomain(d) !== undefined]).toEqual([d, true]);
    for (const d of ['ａｃｍｅ.test', 'acme。test', 'acme．test', '\u2121.test', 'acme.test.', 'ac\u00adme.test', 'xn--zz.test']) expect([d, exactEmailDomain(d)]).toEqual([d, undefined]);
  });

  it('gives the spellings an address may be stored under: as given, with A-labels, with U-labels', () => {
    expect(emailSpellings('anna@bücher.test')).toEqual(['anna@bücher.test', 'anna@xn--bcher-kva.test']);
    expect(emailSpellings('anna@xn--bcher-kva.test')).toEqual(['anna@xn--bcher-kva.test', 'anna@bücher.test']);
    expect(emailSpellings('alice@ｂａｎｋ.test')).toEqual(['alice@ｂａｎｋ.test', 'alice@bank.test']);
    expect(emailSpellings('alice@bank.test')).toEqual(['alice@bank.test']);
    expect(emailSpellings('no-domain')).toEqual(['no-domain']);
  });
});
