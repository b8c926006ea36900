import { describe, expect, it } from 'vitest';
import { foldCase } from './case-fold.ts';

describe('foldCase', () => {
  it('gives every letter case of a value outside ASCII one key, composed (NFC)', () => {
    const same = (...spellings: string[]) => expect(new Set(spellings.map(foldCase)).size, spellings.join(' / ')).toBe(1);
    same('Élise@Bank.Test', 'élise@bank.test', 'ÉLISE@BANK.TEST', 'E\u0301lise@bank.test', 'e\u0301LISE@bank.test');
    same('Ärger', 'ärger', 'ÄRGER');
    same('ΟΔΥΣΣΕΥΣ', 'οδυσσευς', 'οδυσσευσ', 'Οδυσσευς');
    same('Ǆemal', 'ǅemal', 'ǆemal');
    same('ẞ', 'ß');
  });

  it('keeps spellings apart that only full case folding or Turkish rules would equate', () => {
    const differ = (a: string, b: string) => expect(foldCase(a), `${a} / ${b}`).not.toBe(foldCase(b));
    differ('straße', 'strasse');
    differ('ﬁle', 'file');
    differ('İnci', 'inci');
    differ('ılgaz', 'Ilgaz');
    expect(foldCase('İNCİ')).toBe(foldCase('i\u0307nci\u0307'));
  });

  it('is a fixed point: folding a folded value changes nothing, for every code point', () => {
    const moved: string[] = [];
    for (let cp = 0; cp < 0x110000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const once = foldCase(String.fromCodePoint(cp));
      if (foldCase(once) !== once || once !== once.normalize('NFC')) moved.push(cp.toString(16));
    }
    expect(moved).toEqual([]);
  });
});
