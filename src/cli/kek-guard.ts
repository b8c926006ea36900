import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { KEK_FILE, SecretBox, loadKeyEncryptionKey } from '../oidc/keys/key-encryption.ts';
import { SIGNING_KEY_SEAL_CONTEXT } from '../oidc/keys/signing-keys.ts';

/** Tables holding values sealed with the key-encryption key (signing keys, SAML SP keys). */
const SEALED = ['oidc_signing_keys', 'sso_saml_settings'];

/**
 * Refuses to open a data directory whose sealed keys were sealed with a key-encryption key that
 * is not here: `PORTCULLIS_OIDC_KEK` unset and no `{dataDir}/oidc-kek`. Going on would create a
 * new key file, and whatever the process then sealed (a CLI `keys rotate` run without the
 * server's environment) could not be opened by the server: its signing keys, its JWKS, fail.
 */
export function assertKekAvailable(config: Config): void {
  if (config.dataDir === ':memory:') return;
  const dbFile = join(config.dataDir, 'portcullis.db');
  if (!existsSync(dbFile)) return;
  if (config.oidcKeyEncryptionKey || existsSync(join(config.dataDir, KEK_FILE))) return assertKekOpensKeys(config, dbFile);
  if (!holdsSealedValues(dbFile)) return;
  throw new ConfigError(
    'PORTCULLIS_OIDC_KEK',
    `${config.dataDir} holds keys sealed with a key-encryption key that is not here (PORTCULLIS_OIDC_KEK is unset and ${join(config.dataDir, KEK_FILE)} does not exist). ` +
      'Run with the same PORTCULLIS_OIDC_KEK as the server, or restore the oidc-kek file from its backup: a new key could not read the existing ones.',
  );
}

/**
 * A key-encryption key that is here but is not the one the signing keys were sealed with (a
 * mistyped or another deployment's `PORTCULLIS_OIDC_KEK`): refused before anything is sealed with it.
 */
function assertKekOpensKeys(config: Config, dbFile: string): void {
  const sealed = newestSealedSigningKey(dbFile);
  if (sealed === undefined) return;
  const source = config.oidcKeyEncryptionKey ? 'PORTCULLIS_OIDC_KEK' : join(config.dataDir, KEK_FILE);
  // Outside the try: a key file that cannot be read (empty, truncated) says so itself.
  const box = new SecretBox(loadKeyEncryptionKey(config.dataDir, config.oidcKeyEncryptionKey));
  try {
    box.open(sealed, SIGNING_KEY_SEAL_CONTEXT);
  } catch {
    throw new ConfigError(
      'PORTCULLIS_OIDC_KEK',
      `the key-encryption key from ${source} does not open the signing keys in ${config.dataDir}: they were sealed with another one. Use the key the server runs with (its PORTCULLIS_OIDC_KEK, or its oidc-kek file).`,
    );
  }
}

function newestSealedSigningKey(dbFile: string): string | undefined {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'oidc_signing_keys'").get()) return undefined;
    return (db.prepare('SELECT private_jwk_sealed FROM oidc_signing_keys ORDER BY created_at DESC LIMIT 1').get() as { private_jwk_sealed: string } | undefined)?.private_jwk_sealed;
  } finally {
    db.close();
  }
}

function holdsSealedValues(dbFile: string): boolean {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return SEALED.some((table) => {
      const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
      return exists !== undefined && db.prepare(`SELECT 1 FROM ${table} LIMIT 1`).get() !== undefined;
    });
  } finally {
    db.close();
  }
}
