import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Name of the key-encryption-key file created in the data dir when no KEK is configured. */
export const KEK_FILE = 'oidc-kek';

/** Test seam for the creation race. */
export interface KekFileHooks {
  /** Runs after the new key is on disk under its temporary name, just before it is linked into place. */
  beforeLink?(): void;
}

/**
 * The key-encryption key (KEK): 32 bytes that seal the OIDC signing keys, SAML SP private keys
 * and upstream OIDC client secrets in SQLite. From `PORTCULLIS_OIDC_KEK` when set; otherwise read
 * from `{dataDir}/oidc-kek`, which is created (mode 0600, never overwritten) on first start.
 * Losing it makes the sealed keys unreadable: back it up with the database, store it apart.
 */
export function loadKeyEncryptionKey(dataDir: string, configured: string | undefined, hooks: KekFileHooks = {}): Buffer {
  if (configured) return decodeKey(configured, 'PORTCULLIS_OIDC_KEK');
  const file = join(dataDir, KEK_FILE);
  if (!existsSync(file)) createKeyFile(file, hooks);
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const text = readFileSync(file, 'utf8').trim();
  if (text === '') throw new Error(`The key-encryption key file ${file} is empty: restore it from a backup (or set PORTCULLIS_OIDC_KEK to the key it held).`);
  return decodeKey(text, `The key-encryption key file ${file}`);
}

/**
 * Creates the KEK file so that no process ever sees it half-written: the whole key goes to a
 * temporary file first, which is then hard-linked to the final name. `link` fails when the name
 * exists, so when several processes start together exactly one key wins and every loser reads it.
 */
function createKeyFile(file: string, hooks: KekFileHooks): void {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(32).toString('base64') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    hooks.beforeLink?.();
    linkSync(temp, file);
    syncDirectory(dirname(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Makes the new name durable before anything is sealed with the key (best effort where unsupported). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot open or fsync a directory; the file's own data is synced already.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function decodeKey(text: string, source: string): Buffer {
  const key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== 32) throw new Error(`${source} must hold 32 bytes (base64); it holds ${key.length} (truncated or not a key).`);
  return key;
}

/**
 * AES-256-GCM under a key derived from the KEK for one purpose (`context`), so a sealed value
 * cannot be opened as something else. Output: `v1.<iv>.<tag>.<ciphertext>` in base64url.
 */
export class SecretBox {
  readonly #kek: Buffer;

  constructor(kek: Buffer) {
    this.#kek = kek;
  }

  #key(context: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#kek, Buffer.alloc(0), `portcullis-box-v1:${context}`, 32));
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key(context), iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** Throws when the value was not sealed by this KEK for this context. */
  open(sealed: string, context: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('sealed value is malformed');
    const decipher = createDecipheriv('aes-256-gcm', this.#key(context), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** A subkey for another purpose (cookie signing keys), derived, never stored. */
  derive(context: string): string {
    return this.#key(`derived:${context}`).toString('base64url');
  }
}
