import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { KEK_FILE } from '../oidc/keys/key-encryption.ts';

/** Tables holding values sealed with the key-encryption key (signing keys, SAML SP keys). */
const SEALED = ['oidc_signing_keys', 'sso_saml_settings'];

/**
 * Refuses to open a data directory whose sealed keys were sealed with a key-encryption key that
 * is not here: `PORTCULLIS_OIDC_KEK` unset and no `{dataDir}/oidc-kek`. Going on would create a
 * new key file, and whatever the process then sealed (a CLI `keys rotate` run without the
 * server's environment) could not be opened by the server: its signing keys, its JWKS, fail.
 */
export function assertKekAvailable(config: Config): void {
  if (config.oidcKeyEncryptionKey || config.dataDir === ':memory:') return;
  const dbFile = join(config.dataDir, 'portcullis.db');
  if (existsSync(join(config.dataDir, KEK_FILE)) || !existsSync(dbFile)) return;
  if (!holdsSealedValues(dbFile)) return;
  throw new ConfigError(
    'PORTCULLIS_OIDC_KEK',
    `${config.dataDir} holds keys sealed with a key-encryption key that is not here (PORTCULLIS_OIDC_KEK is unset and ${join(config.dataDir, KEK_FILE)} does not exist). ` +
      'Run with the same PORTCULLIS_OIDC_KEK as the server, or restore the oidc-kek file from its backup: a new key could not read the existing ones.',
  );
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
