import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** URL-safe random token with `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** One-shot `crypto.hash`: about half the cost of a `createHash` object on hot paths. */
export function sha256Hex(value: string | Buffer): string {
  return hash('sha256', value, 'hex');
}

export function sha256(value: string | Buffer): Buffer {
  return hash('sha256', value, 'buffer');
}

export function hmacSha256Hex(key: string | Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}

/**
 * Constant-time equality of two strings. Both sides are hashed first so that neither the
 * content nor the length of the secret leaks through timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = sha256(a);
  const hb = sha256(b);
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/**
 * Equality of two hex digests (same algorithm, so same length), in time that does not depend on
 * where they differ: every character is compared, with no early exit. For stored secret hashes,
 * where one `crypto.hash(..., 'hex')` and this cost less than making two Buffers for
 * `timingSafeEqual`.
 */
export function hexDigestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
