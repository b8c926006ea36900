import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../../test/helpers/cli.ts';

describe('the CLI without the key-encryption key the data directory was sealed with', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-kek-guard-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('refuses (exit 2, naming PORTCULLIS_OIDC_KEK) instead of sealing new signing keys with a new key file', async () => {
    const dir = tempDir();
    const kek = randomBytes(32).toString('base64');
    const first = await cli(['keys', 'rotate', '--data-dir', dir, '--json'], { PORTCULLIS_OIDC_KEK: kek });
    expect(first.code).toBe(0);
    const current = first.json().created;

    const forgot = await cli(['keys', 'rotate', '--data-dir', dir, '--json'], {});
    expect(forgot.code).toBe(2);
    expect(forgot.stderr).toMatch(/PORTCULLIS_OIDC_KEK.*not here/);
    expect(existsSync(join(dir, 'oidc-kek'))).toBe(false);

    const again = await cli(['keys', 'rotate', '--data-dir', dir, '--json'], { PORTCULLIS_OIDC_KEK: kek });
    expect(again.code).toBe(0);
    expect(again.json().retired).toEqual(current);
  });

  it('still creates the key file on a new data directory, and uses it afterwards', async () => {
    const dir = tempDir();
    expect((await cli(['keys', 'rotate', '--data-dir', dir], {})).code).toBe(0);
    expect(existsSync(join(dir, 'oidc-kek'))).toBe(true);
    expect((await cli(['tenant', 'list', '--data-dir', dir], {})).code).toBe(0);
  });

  it('refuses a key-encryption key that does not open the signing keys (another deployment\'s, a typo), before sealing anything with it', async () => {
    const dir = tempDir();
    const kek = randomBytes(32).toString('base64');
    const first = await cli(['keys', 'rotate', '--data-dir', dir, '--json'], { PORTCULLIS_OIDC_KEK: kek });
    expect(first.code).toBe(0);
    const wrong = await cli(['keys', 'rotate', '--data-dir', dir, '--json'], { PORTCULLIS_OIDC_KEK: randomBytes(32).toString('base64') });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/PORTCULLIS_OIDC_KEK.*does not open the signing keys/);
    const again = await cli(['keys', 'rotate', '--data-dir', dir, '--json'], { PORTCULLIS_OIDC_KEK: kek });
    expect(again.json().retired).toEqual(first.json().created);
  });

  it('reports an unreadable key file (truncated, empty) as such, not as a key from another deployment', async () => {
    const dir = tempDir();
    expect((await cli(['keys', 'rotate', '--data-dir', dir], {})).code).toBe(0);
    writeFileSync(join(dir, 'oidc-kek'), 'dHJ1bmNhdGVk\n');
    const truncated = await cli(['keys', 'rotate', '--data-dir', dir, '--json'], {});
    expect(truncated.code).not.toBe(0);
    expect(truncated.stderr).toMatch(/oidc-kek must hold 32 bytes/);
    expect(truncated.stderr).not.toMatch(/sealed with another one/);
  });
});
