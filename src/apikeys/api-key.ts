import { hexDigestsEqual, randomToken, sha256Hex } from '../lib/crypto.ts';
import type { Scope } from './scopes.ts';

export interface ApiKey {
  id: string;
  tenant_id: string | null;
  name: string;
  scopes: Scope[];
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ApiKeyWithHash extends ApiKey {
  secret_hash: string;
}

export function apiKeyView(k: ApiKey) {
  return {
    id: k.id,
    tenant_id: k.tenant_id,
    name: k.name,
    scopes: k.scopes,
    created_at: k.created_at,
    last_used_at: k.last_used_at,
    revoked_at: k.revoked_at,
  };
}

const PREFIX = 'ptc_';
const KEY_PATTERN = /^ptc_(key_[0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

/**
 * The presented key is `ptc_<key id>_<secret>`: the id finds the row, the secret is compared
 * against its stored SHA-256 in constant time. Secrets have 256 bits of entropy, so a fast hash
 * is enough; they are never stored or logged in the clear.
 */
export function mintApiKey(id: string): { key: string; secretHash: string } {
  const secret = randomToken(32);
  return { key: `${PREFIX}${id}_${secret}`, secretHash: sha256Hex(secret) };
}

export function parseApiKey(presented: string): { id: string; secret: string } | undefined {
  const m = KEY_PATTERN.exec(presented);
  return m ? { id: m[1] as string, secret: m[2] as string } : undefined;
}

/** The presented secret's SHA-256 against the stored one (both lowercase hex), in constant time. */
export function secretMatches(secret: string, secretHash: string): boolean {
  return hexDigestsEqual(sha256Hex(secret), secretHash);
}
