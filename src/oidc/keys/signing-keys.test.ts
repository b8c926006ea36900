import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Storage } from '../../storage/storage.ts';
import { SecretBox } from './key-encryption.ts';
import { SigningKeyStore } from './signing-keys.ts';

describe('OpenID Provider signing keys', () => {
  const setup = () => {
    const storage = Storage.open(':memory:', { migrateNow: true });
    return { storage, keys: new SigningKeyStore(storage.sql, new SecretBox(randomBytes(32))) };
  };

  it('generates one ES256 and one RS256 key, stored sealed (no private key material in the row)', () => {
    const { storage, keys } = setup();
    const now = new Date('2026-01-01T00:00:00Z');
    storage.transaction(() => keys.insertNewKeys(now));
    const current = keys.current(now);
    expect(current.map((k) => k.jwk.alg).sort()).toEqual(['ES256', 'RS256']);
    const rows = storage.sql.prepare<[], { private_jwk_sealed: string }>('SELECT private_jwk_sealed FROM oidc_signing_keys').all();
    for (const { jwk } of current) for (const r of rows) expect(r.private_jwk_sealed).not.toContain(jwk.d as string);
  });

  it('keeps retired keys published until their grace period ends, active keys first', () => {
    const { storage, keys } = setup();
    const t0 = new Date('2026-01-01T00:00:00Z');
    const old = storage.transaction(() => keys.insertNewKeys(t0)).map((r) => r.kid);
    const t1 = new Date('2026-02-01T00:00:00Z');
    const until = new Date(t1.getTime() + 3600_000);
    storage.transaction(() => {
      keys.retireActive(t1, until);
      keys.insertNewKeys(t1);
    });
    const during = keys.current(new Date(t1.getTime() + 60_000));
    expect(during).toHaveLength(4);
    expect(during.slice(0, 2).every((k) => k.row.status === 'active')).toBe(true);
    expect(during.filter((k) => k.row.status === 'retired').map((k) => k.row.kid).sort()).toEqual([...old].sort());
    const after = keys.current(new Date(until.getTime() + 1));
    expect(after.map((k) => k.row.kid)).not.toEqual(expect.arrayContaining(old));
    expect(after).toHaveLength(2);
  });
});
