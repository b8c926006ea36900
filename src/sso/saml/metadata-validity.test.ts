import { describe, expect, it } from 'vitest';
import { metadataExpired, parseXsDateTime, parseXsDuration, storedValidUntil } from './metadata-validity.ts';

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

describe('xs:duration in metadata cacheDuration', () => {
  it('reads days, hours, minutes, fractional seconds and their combinations as seconds (a month as 30 days, a year as 365)', () => {
    expect(parseXsDuration('PT1H')).toBe(3600);
    expect(parseXsDuration('P1D')).toBe(86_400);
    expect(parseXsDuration('PT90M')).toBe(5400);
    expect(parseXsDuration('PT0.5S')).toBe(0.5);
    expect(parseXsDuration('P1Y2M3DT4H5M6S')).toBe(((365 + 60 + 3) * 24 + 4) * 3600 + 5 * 60 + 6);
    expect(parseXsDuration('PT0S')).toBe(0);
  });

  it('gives nothing for what is not a non-negative xs:duration', () => {
    for (const v of ['', 'P', 'PT', 'P1DT', '-PT1H', 'PT1H30', '1H', 'P1.5D', 'PT1h', ' PT1H']) expect([v, parseXsDuration(v)]).toEqual([v, undefined]);
  });
});

describe('the validUntil a connection keeps', () => {
  it('is the instant in UTC with milliseconds; beyond 9999 it is the end of 9999, so stored bounds compare as text', () => {
    expect(storedValidUntil({ element: 'EntityDescriptor', value: '2030-01-31T12:00:00+02:00', at: Date.parse('2030-01-31T10:00:00Z') })).toBe('2030-01-31T10:00:00.000Z');
    expect(storedValidUntil({ element: 'EntityDescriptor', value: '10000-01-01T00:00:00Z', at: Date.parse('+010000-01-01T00:00:00Z') })).toBe('9999-12-31T23:59:59.999Z');
    expect(storedValidUntil({ element: 'EntityDescriptor', value: '999999-01-01T00:00:00Z', at: Infinity })).toBe('9999-12-31T23:59:59.999Z');
    expect(storedValidUntil(null)).toBeNull();
  });

  it('has passed once the clock skew after it has (none: never)', () => {
    const until = '2030-01-31T10:00:00.000Z';
    expect(metadataExpired(until, 60, new Date('2030-01-31T10:00:59.999Z'))).toBe(false);
    expect(metadataExpired(until, 60, new Date('2030-01-31T10:01:00.000Z'))).toBe(true);
    expect(metadataExpired(null, 0, new Date('9999-12-31T23:59:59.999Z'))).toBe(false);
  });
});
