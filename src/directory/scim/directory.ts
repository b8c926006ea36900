import { constantTimeEqual, randomToken, sha256Hex } from '../../lib/crypto.ts';

/** A SCIM directory: one IdP's provisioning target inside a tenant, at `/scim/v2/{id}`. */
export interface ScimDirectory {
  id: string;
  tenant_id: string;
  name: string;
  created_at: string;
  deleted_at: string | null;
}

export interface ScimToken {
  id: string;
  tenant_id: string;
  directory_id: string;
  name: string;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ScimTokenWithHash extends ScimToken {
  secret_hash: string;
}

/** One accepted deviation from RFC 7644 in one request, kept for the tenant's admins. */
export interface NormalisationRecord {
  id: string;
  tenant_id: string;
  directory_id: string;
  request_id: string;
  occurred_at: string;
  dialect: 'entra' | 'okta' | 'generic';
  rule: string;
  method: string;
  path: string;
  detail: string;
  user_agent: string | null;
}

export const tokenView = ({ id, directory_id, name, created_at, last_used_at, revoked_at }: ScimToken) => ({
  id,
  directory_id,
  name,
  created_at,
  last_used_at,
  revoked_at,
});

const TOKEN_PATTERN = /^ptc_(scim_[0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

/** `ptc_<token id>_<secret>`: the id finds the row, the secret's SHA-256 is compared in constant time. */
export function mintScimToken(id: string): { token: string; secretHash: string } {
  const secret = randomToken(32);
  return { token: `ptc_${id}_${secret}`, secretHash: sha256Hex(secret) };
}

export function parseScimToken(presented: string): { id: string; secret: string } | undefined {
  const m = TOKEN_PATTERN.exec(presented);
  return m ? { id: m[1] as string, secret: m[2] as string } : undefined;
}

export const scimSecretMatches = (secret: string, hash: string) => constantTimeEqual(sha256Hex(secret), hash);
