import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM with a key derived from the caller's credential (HKDF over its digest, salted by
 * a context string). A stored, sealed reply can only be opened by a request that presents the
 * same credential, so the database alone never reveals it (it may contain a freshly minted
 * secret).
 */
function deriveKey(credentialDigest: string, salt: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(credentialDigest, 'hex'), salt, 'portcullis-seal-v1', 32));
}

export function seal(plaintext: string, credentialDigest: string, salt: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(credentialDigest, salt), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

export function unseal(sealed: string, credentialDigest: string, salt: string): string | undefined {
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  if (!iv || !tag || !body) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(credentialDigest, salt), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
