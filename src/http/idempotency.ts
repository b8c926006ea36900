import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../lib/clock.ts';
import { badRequest, conflict, unprocessable } from './errors.ts';
import { fingerprintMatches, requestFingerprint, type FingerprintedRequest } from './idempotency-fingerprint.ts';
import type { SqliteIdempotencyStore } from './idempotency-store.ts';
import { seal, unseal } from './seal.ts';
import './context.ts';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const REPLAYED_HEADERS = ['content-type', 'etag', 'location'];

interface StoredReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * `Idempotency-Key` on POST: the first request with a key runs and its reply is kept for 24 h;
 * a retry with the same key and the same request (method, path, query, body, and the headers
 * that change its meaning: `If-Match` and the other preconditions, `Content-Type`; see
 * idempotency-fingerprint.ts) gets that reply again (with `Idempotency-Replayed: true`) without
 * repeating the effect; the same key with another request is a 422; a retry while the first is
 * still running is a 409 (for at most 5 minutes: a reservation its crashed process never
 * finished frees the key), and so is a retry with
 * another bearer token of the same credential (see below). 5xx and 429 replies are not kept,
 * so a retry after a server error or a rate limit (an OpenFGA server's, passed through) runs
 * again; nor is anything replayed to a suspended tenant's credentials (the route refuses them).
 * Runs after authentication: keys are per credential.
 */
export function idempotency(options: { store: SqliteIdempotencyStore; clock: Clock }): MiddlewareHandler {
  const { store, clock } = options;
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      throw badRequest('invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters.');
    }
    const principal = c.get('principal');
    const digest = c.get('credentialDigest');
    if (!principal || !digest) return next();
    // A suspended tenant's credentials are refused by every route (403): a stored reply, which
    // may hold a secret minted before the suspension, must not answer for the route.
    if (principal.kind !== 'platform' && principal.tenantStatus !== 'active') return next();

    const url = c.req.url;
    const query = url.indexOf('?');
    const request: FingerprintedRequest = {
      method: c.req.method,
      path: c.req.path,
      search: query === -1 ? '' : url.slice(query),
      header: (name) => c.req.header(name),
      body: await c.req.text(),
    };
    const requestHash = requestFingerprint(request);
    const now = clock.now();
    const createdAt = now.toISOString();
    const reserved = store.reserve(
      {
        credential_id: principal.credentialId,
        idempotency_key: key,
        request_hash: requestHash,
        created_at: createdAt,
        expires_at: new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString(),
      },
      now.toISOString(),
    );
    if (!reserved) return replay(c, store.find(principal.credentialId, key), request, requestHash, digest, key);

    try {
      await next();
    } catch (err) {
      store.release(principal.credentialId, key, createdAt);
      throw err;
    }
    // 5xx and 429 say "try again later": the retry must run, not get the same answer back.
    if (c.res.status >= 500 || c.res.status === 429) {
      store.release(principal.credentialId, key, createdAt);
      return;
    }
    const res = c.res.clone();
    const reply: StoredReply = {
      status: res.status,
      headers: Object.fromEntries(REPLAYED_HEADERS.flatMap((h) => (res.headers.has(h) ? [[h, res.headers.get(h) as string]] : []))),
      body: await res.text(),
    };
    store.complete(principal.credentialId, key, createdAt, reply.status, seal(JSON.stringify(reply), digest, key));
  };
}

function replay(
  c: Parameters<MiddlewareHandler>[0],
  record: ReturnType<SqliteIdempotencyStore['find']>,
  request: FingerprintedRequest,
  requestHash: string,
  digest: string,
  key: string,
): Response {
  if (!record) throw conflict('idempotency_request_in_progress', 'A request with this Idempotency-Key is in progress.');
  if (!fingerprintMatches(record.request_hash, request, requestHash)) {
    throw unprocessable(
      'idempotency_key_reused',
      'This Idempotency-Key was used with a different request. Use a new key for a new request.',
    );
  }
  if (record.status === null || record.response_sealed === null) {
    throw conflict('idempotency_request_in_progress', 'A request with this Idempotency-Key is in progress.');
  }
  const opened = unseal(record.response_sealed, digest, key);
  // One credential can present many bearer tokens (an app's access tokens): the reply is sealed
  // to the token that made it, so another token cannot open it. Refuse rather than run twice.
  if (opened === undefined) {
    throw conflict(
      'idempotency_credential_changed',
      'This Idempotency-Key was used with another token of this credential; only that token can replay it. Use a new key.',
    );
  }
  const reply = JSON.parse(opened) as StoredReply;
  return new Response(reply.body, {
    status: reply.status,
    headers: { ...reply.headers, 'Idempotency-Replayed': 'true', 'X-Request-Id': c.get('requestId') },
  });
}
