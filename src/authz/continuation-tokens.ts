import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { fgaError } from './errors.ts';

export const invalidContinuationToken = () => fgaError('invalid_continuation_token', 'Invalid continuation token');

/**
 * Continuation tokens, sealed: AES-256-GCM over a small JSON object tagged with what it pages
 * through, bound to the store it was issued for (additional data). A token reveals nothing and
 * cannot be forged or used on another store: a plain one would carry the changelog's position,
 * which counts every tenant's writes, and so tell any tenant how much all the others write.
 * The key is derived from the key-encryption key, so every process of a deployment shares it.
 * Both backends use it: the openfga backend seals OpenFGA's own tokens inside.
 */
export class ContinuationTokens {
  readonly #key: Buffer;

  constructor(key: Buffer = randomBytes(32)) {
    if (key.length !== 32) throw new Error('a continuation-token key has 32 bytes');
    this.#key = key;
  }

  encode(storeId: string, kind: string, position: unknown[]): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv).setAAD(Buffer.from(storeId, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify({ k: kind, p: position }), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The position inside a token of `kind` issued for `storeId`; undefined for no token; throws for any other. */
  decode(storeId: string, token: string | undefined, kind: string): unknown[] | undefined {
    if (token === undefined || token === null || token === '') return undefined;
    if (token.length > 4096 || !/^[A-Za-z0-9_-]+={0,2}$/.test(token)) throw invalidContinuationToken();
    const raw = Buffer.from(token, 'base64url');
    if (raw.length < 29) throw invalidContinuationToken();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12)).setAAD(Buffer.from(storeId, 'utf8'));
      decipher.setAuthTag(raw.subarray(12, 28));
      const parsed = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as { k?: unknown; p?: unknown };
      if (parsed.k === kind && Array.isArray(parsed.p)) return parsed.p;
    } catch {
      // fall through: not ours, altered, or for another store
    }
    throw invalidContinuationToken();
  }
}
