import { describe, expect, it } from 'vitest';
import { hexDigestsEqual, sha256Hex } from './crypto.ts';
import { mintApiKey, parseApiKey, secretMatches } from '../apikeys/api-key.ts';

describe('hex digest comparison', () => {
  const digest = sha256Hex('the secret');

  it('is true only for the same digest', () => {
    expect(hexDigestsEqual(digest, sha256Hex('the secret'))).toBe(true);
    expect(hexDigestsEqual(digest, sha256Hex('the secreT'))).toBe(false);
    // A difference in the first or the last character alone is found (no early exit hides it).
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === '0' ? '1' : '0') + s.slice(i + 1);
    expect(hexDigestsEqual(digest, flip(digest, 0))).toBe(false);
    expect(hexDigestsEqual(digest, flip(digest, 63))).toBe(false);
    expect(hexDigestsEqual(digest, digest.slice(0, 63))).toBe(false);
    expect(hexDigestsEqual(digest, `${digest}0`)).toBe(false);
    expect(hexDigestsEqual(digest, '')).toBe(false);
    expect(hexDigestsEqual(digest, digest.toUpperCase())).toBe(digest === digest.toUpperCase());
  });

  it('accepts a minted API key secret and nothing else', () => {
    const { key, secretHash } = mintApiKey('key_01ARZ3NDEKTSV4RRFFQ69G5FAV');
    const parsed = parseApiKey(key);
    expect(parsed).toBeDefined();
    expect(secretMatches(parsed!.secret, secretHash)).toBe(true);
    expect(secretMatches(`${parsed!.secret.slice(0, -1)}A`, secretHash)).toBe(parsed!.secret.endsWith('A'));
    expect(secretMatches(parsed!.secret, sha256Hex('another secret'))).toBe(false);
  });
});
