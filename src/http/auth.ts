import type { MiddlewareHandler } from 'hono';
import { sha256Hex } from '../lib/crypto.ts';
import type { Metrics } from '../observability/metrics.ts';
import { ApiError, rateLimited } from './errors.ts';
import type { Principal } from './principal.ts';
import type { TokenBucketLimiter } from './rate-limiter.ts';
import './context.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** SHA-256 of the presented bearer credential: key material for sealing idempotent replies. */
    credentialDigest: string | undefined;
  }
}

/** Turns a presented bearer token into a principal, or undefined when it is not one of ours. */
export type Authenticator = (token: string) => Principal | undefined;

export const BEARER = /^Bearer\s+([\x21-\x7e]{1,4096})\s*$/i; // JWT access tokens (client credentials) are longer than API keys

/** The first authenticator's principal for `token`, if any. */
export function authenticateBearer(authenticators: Authenticator[], token: string | undefined): Principal | undefined {
  if (!token) return undefined;
  for (const authenticate of authenticators) {
    const principal = authenticate(token);
    if (principal) return principal;
  }
  return undefined;
}

/**
 * Requires a valid bearer credential. Missing, malformed, unknown and revoked credentials all
 * answer 401 with `WWW-Authenticate`. Each credential then draws from its own token bucket;
 * failed attempts draw from a bucket per client IP, which slows guessing.
 */
export function bearerAuth(options: {
  authenticators: Authenticator[];
  limiter: TokenBucketLimiter;
  metrics: Metrics;
  realm: string;
}): MiddlewareHandler {
  const { authenticators, limiter, metrics, realm } = options;
  return async function bearerAuthMiddleware(c, next) {
    const match = BEARER.exec(c.req.header('authorization') ?? '');
    const token = match?.[1];
    const principal = authenticateBearer(authenticators, token);
    if (!principal) {
      metrics.authFailures.inc({ reason: token ? 'invalid_credential' : 'missing_credential' });
      const wait = limiter.take(`ip:${c.get('clientIp') ?? 'unknown'}`);
      if (wait > 0) throw rateLimited(wait);
      throw new ApiError(401, 'unauthenticated', token ? 'The credential is not valid.' : 'A bearer credential is required.', {
        headers: { 'WWW-Authenticate': `Bearer realm="${realm}"${token ? ', error="invalid_token"' : ''}` },
      });
    }
    const wait = limiter.take(principal.credentialId);
    if (wait > 0) {
      metrics.rateLimited.inc({ realm });
      throw rateLimited(wait);
    }
    c.set('principal', principal);
    // Only a POST with an Idempotency-Key stores a reply, sealed with this digest.
    if (c.req.method === 'POST' && c.req.header('idempotency-key') !== undefined) {
      c.set('credentialDigest', sha256Hex(token as string));
    }
    if (principal.kind !== 'platform') c.set('tenantId', principal.tenantId);
    await next();
  };
}
