import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../lib/crypto.ts';
import { fingerprintMatches, MEANINGFUL_HEADERS, requestFingerprint, type FingerprintedRequest } from './idempotency-fingerprint.ts';

const request = (headers: Record<string, string> = {}, over: Partial<FingerprintedRequest> = {}): FingerprintedRequest => ({
  method: 'POST',
  path: '/admin/v1/tenants',
  search: '',
  header: (name) => headers[name],
  body: '{"name":"Acme","slug":"acme"}',
  ...over,
});

describe('idempotency request fingerprint', () => {
  it('changes with each meaningful header, present or absent, and with the query', () => {
    const base = requestFingerprint(request({ 'content-type': 'application/json' }));
    for (const name of MEANINGFUL_HEADERS) {
      const changed = requestFingerprint(request({ 'content-type': 'application/json', [name]: name === 'content-type' ? 'text/plain' : '"1"' }));
      expect([name, changed === base]).toEqual([name, false]);
    }
    expect(requestFingerprint(request({ 'content-type': 'application/json', 'if-match': '' }))).not.toBe(base);
    expect(requestFingerprint(request({}))).not.toBe(base);
    expect(requestFingerprint(request({ 'content-type': 'application/json' }, { search: '?a=1' }))).not.toBe(base);
  });

  it('ignores headers that do not change the meaning, JSON key order, and the case and spacing of the media type', () => {
    const base = requestFingerprint(request({ 'content-type': 'application/json; charset=utf-8' }));
    const retry = request({ 'content-type': 'Application/JSON;charset=UTF-8', 'user-agent': 'retry/2', 'x-request-id': 'r2', accept: '*/*' }, { body: '{ "slug": "acme", "name": "Acme" }' });
    expect(requestFingerprint(retry)).toBe(base);
  });

  it('keeps the case of an ETag: If-Match "abc" and "ABC" are different preconditions', () => {
    expect(requestFingerprint(request({ 'if-match': '"abc"' }))).not.toBe(requestFingerprint(request({ 'if-match': '"ABC"' })));
  });

  it('matches a hash stored by the earlier scheme (method, path, body) on those parts alone, and a current one on all of them', () => {
    const legacy = sha256Hex('POST /admin/v1/tenants\n{"name":"Acme","slug":"acme"}');
    expect(fingerprintMatches(legacy, request({ 'if-match': '"1"' }))).toBe(true);
    expect(fingerprintMatches(legacy, request({}, { body: '{"name":"Globex"}' }))).toBe(false);
    const current = requestFingerprint(request({ 'if-match': '"1"' }));
    expect(fingerprintMatches(current, request({ 'if-match': '"1"' }))).toBe(true);
    expect(fingerprintMatches(current, request({ 'if-match': '"2"' }))).toBe(false);
    expect(fingerprintMatches(current, request({}))).toBe(false);
  });
});
