import { statSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/harness.ts';
import { KEK_FILE, SecretBox, loadKeyEncryptionKey } from './key-encryption.ts';

describe('key-encryption key and sealed secrets', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('creates the KEK file on first start with mode 0600 and reuses it afterwards', () => {
    const dir = tempDir();
    dirs.push(dir);
    const first = loadKeyEncryptionKey(dir, undefined);
    expect(statSync(join(dir, KEK_FILE)).mode & 0o777).toBe(0o600);
    expect(loadKeyEncryptionKey(dir, undefined).equals(first)).toBe(true);
    expect(readFileSync(join(dir, KEK_FILE), 'utf8').trim()).toBe(first.toString('base64'));
  });

  it('prefers a configured KEK and refuses one of the wrong size', () => {
    const dir = tempDir();
    dirs.push(dir);
    const configured = randomBytes(32);
    expect(loadKeyEncryptionKey(dir, configured.toString('base64')).equals(configured)).toBe(true);
    expect(() => loadKeyEncryptionKey(dir, 'c2hvcnQ=')).toThrow(/32 bytes/);
  });

  it('opens a sealed value only with the same KEK and the same purpose', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('private key material', 'oidc-signing-key');
    expect(sealed).not.toContain('private key material');
    expect(box.open(sealed, 'oidc-signing-key')).toBe('private key material');
    expect(() => box.open(sealed, 'saml-sp-private-key')).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'oidc-signing-key')).toThrow();
    const [v, iv, tag, body] = sealed.split('.');
    const flipped = Buffer.from(body as string, 'base64url');
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(() => box.open([v, iv, tag, flipped.toString('base64url')].join('.'), 'oidc-signing-key')).toThrow();
  });
});
