import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/harness.ts';
import { KEK_FILE, SecretBox, loadKeyEncryptionKey } from './key-encryption.ts';

const RACE_CHILD = fileURLToPath(new URL('../../../test/helpers/kek-race-child.ts', import.meta.url));

/** Starts a child that loads the KEK of `parent/0..count-1` once told to go; resolves its keys. */
async function racer(parent: string, count: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', RACE_CHILD, parent, String(count)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const ready = new Promise<void>((resolve) => child.stdout.on('data', (c) => ((out += c), out.startsWith('ready\n') && resolve())));
  const keys = new Promise<string[]>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.split('\n')[1] as string)) : reject(new Error(`racer exited ${code}: ${err}`)))),
  );
  await ready;
  return { go: () => child.stdin.end('go\n'), keys };
}

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

  it('gives the loser of a creation race the winner\'s key: another process creates the file while this one is about to', () => {
    const dir = tempDir();
    dirs.push(dir);
    let winner: Buffer | undefined;
    const loser = loadKeyEncryptionKey(dir, undefined, { beforeLink: () => (winner = loadKeyEncryptionKey(dir, undefined)) });
    expect(winner).toBeDefined();
    expect(loser.equals(winner as Buffer)).toBe(true);
    expect(readFileSync(join(dir, KEK_FILE), 'utf8').trim()).toBe(loser.toString('base64'));
    expect(readdirSync(dir)).toEqual([KEK_FILE]);
  });

  it('never shows a half-written file: the name appears only once the whole key is on disk', () => {
    const dir = tempDir();
    dirs.push(dir);
    let seenBeforeLink: string[] = [];
    const key = loadKeyEncryptionKey(dir, undefined, { beforeLink: () => (seenBeforeLink = readdirSync(dir)) });
    expect(seenBeforeLink).not.toContain(KEK_FILE);
    const [temp] = seenBeforeLink;
    expect(temp).toMatch(new RegExp(`^${KEK_FILE}\\..+\\.tmp$`));
    expect(readdirSync(dir)).toEqual([KEK_FILE]);
    expect(statSync(join(dir, KEK_FILE)).mode & 0o777).toBe(0o600);
    expect(loadKeyEncryptionKey(dir, undefined).equals(key)).toBe(true);
  });

  it('gives two real processes starting together on 300 fresh data dirs the same key in every dir', async () => {
    const parent = tempDir();
    dirs.push(parent);
    const count = 300;
    for (let i = 0; i < count; i++) mkdirSync(join(parent, String(i)));
    const racers = await Promise.all([racer(parent, count), racer(parent, count)]);
    racers.forEach((r) => r.go());
    const [a, b] = await Promise.all(racers.map((r) => r.keys));
    expect(a!.filter((k) => k.startsWith('error')).concat(b!.filter((k) => k.startsWith('error')))).toEqual([]);
    expect(b).toEqual(a);
    for (let i = 0; i < count; i++) expect(readdirSync(join(parent, String(i)))).toEqual([KEK_FILE]);
  }, 30_000);

  it.each([
    ['empty', ''],
    ['truncated', randomBytes(32).toString('base64').slice(0, 20) + '\n'],
  ])('refuses to start on an %s KEK file, naming it, and leaves the file as it was', (_, content) => {
    const dir = tempDir();
    dirs.push(dir);
    const file = join(dir, KEK_FILE);
    writeFileSync(file, content, { mode: 0o600 });
    expect(() => loadKeyEncryptionKey(dir, undefined)).toThrow(new RegExp(`${file}.*(empty|truncated)`));
    expect(readFileSync(file, 'utf8')).toBe(content);
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
