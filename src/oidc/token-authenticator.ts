import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Authenticator } from '../http/auth.ts';
import type { Principal } from '../http/principal.ts';
import type { SqliteTenantRegistry } from '../tenants/sqlite-store.ts';
import type { SqliteAppLookup } from './apps/sqlite-store.ts';
import type { OidcKeyService } from './keys/service.ts';
import { OIDC_CLOCK_TOLERANCE_SECONDS } from './constants.ts';
import type { Scope } from '../apikeys/scopes.ts';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Accepts a client-credentials access token (a JWT this provider signed) as a bearer credential
 * of the app's tenant. Checked synchronously: signature against the current JWKS (active and
 * still-published retired keys), `typ` at+jwt, issuer, audience (the authorization API), expiry,
 * no `cnf` (a DPoP-bound token is valid only with a proof of its key, which this API does not
 * take: RFC 9449 §7.1); then the app must still exist with client credentials and its tenant
 * must be live. The principal's scopes are the token's, narrowed to what the app holds now.
 */
export function oidcTokenAuthenticator(deps: {
  keys: OidcKeyService;
  apps: SqliteAppLookup;
  tenants: SqliteTenantRegistry;
  issuer: string;
  audience: string;
}): Authenticator {
  let cache: { generation: string; keys: Map<string, { key: KeyObject; alg: string }> } | undefined;
  const keyFor = (kid: string) => {
    const generation = deps.keys.generation();
    if (!cache || cache.generation !== generation) {
      cache = { generation, keys: new Map(deps.keys.publicJwks().map((j) => [j.kid, { key: createPublicKey({ key: j, format: 'jwk' }), alg: j.alg }])) };
    }
    return cache.keys.get(kid);
  };

  return function authenticateOidcToken(token: string): Principal | undefined {
    if (!JWT.test(token)) return undefined;
    const [h, p, s] = token.split('.') as [string, string, string];
    const header = parseJson(h);
    const payload = parseJson(p);
    if (!header || !payload || typeof header.kid !== 'string' || !['ES256', 'RS256'].includes(header.alg as string)) return undefined;
    if (String(header.typ).toLowerCase() !== 'at+jwt') return undefined;
    const key = keyFor(header.kid);
    if (!key || key.alg !== header.alg) return undefined;
    const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: key.key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
    if (!ok) return undefined;
    // The provider stamps tokens with wall-clock time.
    const now = Math.floor(Date.now() / 1000);
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (payload.iss !== deps.issuer || !aud.includes(deps.audience)) return undefined;
    if (payload.cnf !== undefined) return undefined;
    if (typeof payload.exp !== 'number' || payload.exp + OIDC_CLOCK_TOLERANCE_SECONDS <= now) return undefined;
    const app = typeof payload.client_id === 'string' ? deps.apps.findLive(payload.client_id) : undefined;
    if (!app || !app.grant_types.includes('client_credentials')) return undefined;
    const tenant = deps.tenants.findById(app.tenant_id);
    if (!tenant || tenant.deleted_at) return undefined;
    const granted = new Set(String(payload.scope ?? '').split(' '));
    const scopes = new Set<Scope>(app.authz_scopes.filter((x) => granted.has(x)));
    return { kind: 'tenant', credentialId: app.id, tenantId: tenant.id, tenantStatus: tenant.status, scopes };
  };
}

function parseJson(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
