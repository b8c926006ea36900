import { describe, expect, it } from 'vitest';
import { parseXsDateTime } from './metadata-validity.ts';

describe('xs:dateTime in metadata validUntil', () => {
  it('reads UTC, offsets, zone-less (UTC, as SAML times are) and fractional seconds as the same instant', () => {
    const t = Date.parse('2030-01-31T10:00:00Z');
    expect(parseXsDateTime('2030-01-31T10:00:00Z')).toBe(t);
    expect(parseXsDateTime('2030-01-31T10:00:00')).toBe(t);
    expect(parseXsDateTime('2030-01-31T12:00:00+02:00')).toBe(t);
    expect(parseXsDateTime('2030-01-31T04:30:00-05:30')).toBe(t);
    expect(parseXsDateTime('2030-01-31T10:00:00.250Z')).toBe(t + 250);
  });

  it('takes leap days, the end of a day (24:00:00) and years beyond 9999', () => {
    expect(parseXsDateTime('2028-02-29T00:00:00Z')).toBe(Date.parse('2028-02-29T00:00:00Z'));
    expect(parseXsDateTime('2030-01-31T24:00:00Z')).toBe(Date.parse('2030-02-01T00:00:00Z'));
    expect(parseXsDateTime('0099-06-01T00:00:00Z')).toBe(Date.parse('+000099-06-01T00:00:00Z'));
    expect(parseXsDateTime('10000-01-01T00:00:00Z')).toBe(Date.parse('+010000-01-01T00:00:00Z'));
    expect(parseXsDateTime('999999-01-01T00:00:00Z')).toBe(Infinity);
  });

  it('refuses what is not an xs:dateTime rather than guessing (Date.parse would take several of these)', () => {
    for (const v of ['', 'tomorrow', '2030-01-31', '2030-02-29T00:00:00Z', '2030-01-31 10:00:00Z', '2030-13-01T00:00:00Z', '2030-01-32T00:00:00Z', '2030-01-31T24:00:01Z', '2030-01-31T10:60:00Z', '2030-01-31T10:00:00+15:00', 'Thu, 31 Jan 2030 10:00:00 GMT']) {
      expect([v, parseXsDateTime(v)]).toEqual([v, undefined]);
    }
  });
});
