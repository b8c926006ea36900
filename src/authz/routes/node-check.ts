import type { CheckRequest, CheckResponse } from '@openfga/sdk';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BEARER, authenticateBearer, type Authenticator } from '../../http/auth.ts';
import type { TokenBucketLimiter } from '../../http/rate-limiter.ts';
import { forwardedFor, requestIdFrom } from '../../http/request-context.ts';
import type { AccessEntry } from '../../observability/access-line.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Principal } from '../../http/principal.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import { STORE_ID, decideStoreAccess, type StoreOwnerLookup } from './access.ts';
import { JSON_REQUEST, plainCheckBody } from './fast-lane.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export interface NodeCheckLaneDeps {
  authenticators: Authenticator[];
  limiter: TokenBucketLimiter;
  owner: StoreOwnerLookup;
  check: (storeId: string, body: CheckRequest) => Promise<CheckResponse>;
  metrics: Metrics;
  accessLog: (entry: AccessEntry) => void;
  /** Trusted proxy hops in front (0: none). */
  trustProxy: number;
  bodyLimitBytes: number;
  /** Runs `fn`, which answers requests already received in full, on one exact change reading (`ChangeStamp.shared`). */
  sharedReading: <T>(fn: () => T) => T;
}

/** `POST /stores/{store_id}/check` with a store id in OpenFGA's ULID alphabet and no query. */
const CHECK_PATH = new RegExp(`^/stores/(${STORE_ID.source.slice(1, -1)})/check$`);
/** The route label the full stack logs and counts this request under. */
export const CHECK_ROUTE = '/stores/:store_id/check';
/** Check bodies are small; a larger one is left to the full stack. */
const MAX_BODY_BYTES = 64 * 1024;
const DECLARED_LENGTH = /^\d{1,15}$/;

/**
 * The hottest request of the service, a plain Check, answered on Node's request itself instead of
 * through the Hono application (its request and response objects cost more than the Check).
 *
 * It only ever answers 200. Each step is the same code the full stack runs — the bearer
 * authenticators, `decideStoreAccess`, `plainCheckBody`, the rate limiter, the engine — and at
 * the first step that is not a plain success (another header set, a body it does not vouch for,
 * a credential that does not authenticate, a store it may not read, a rate limit, an error from
 * the engine) the request goes to the full stack, with the body it already read, which answers
 * exactly as it always does. The access log line, the request metrics and `X-Request-Id` are
 * written as the full stack writes them; a test compares the two over HTTP, response for response.
 */
export function withNodeCheckLane(deps: NodeCheckLaneDeps, next: Listener): Listener {
  const counted = { answered: deps.metrics.checkLane.series({ outcome: 'answered' }), handedOn: deps.metrics.checkLane.series({ outcome: 'handed_on' }) };
  // No closure per request: under tsx every named one is also wrapped to keep its name.
  const handOn = (r: Received) => {
    counted.handedOn.inc();
    fallBack(r.req, r.res, r.body, next);
  };
  const start = (r: Received, turn: TurnLookups) => {
    answer(deps, r, turn).then(
      (answered) => (answered ? counted.answered.inc() : handOn(r)),
      () => r.res.headersSent || handOn(r),
    );
  };
  // Requests whose bodies ended in this turn of the event loop are started together right after
  // it (setImmediate), on one exact change reading taken after the last of them arrived: the
  // database is asked "has anything changed?" once per turn instead of once per request. Should
  // that reading fail, the rest start without it (each reads for itself, as the full stack does).
  let received: Received[] = [];
  const startReceived = () => {
    const batch = received;
    received = [];
    let begun = 0;
    const turn = new TurnLookups(deps);
    const startRest = () => {
      while (begun < batch.length) start(batch[begun++] as Received, turn);
    };
    try {
      deps.sharedReading(startRest);
    } catch {
      startRest();
    }
  };
  return function nodeCheckLane(req, res) {
    const match = req.method === 'POST' ? CHECK_PATH.exec(req.url ?? '') : null;
    if (!match) return next(req, res);
    const h = req.headers;
    const declared = h['content-length'];
    if (
      declared === undefined ||
      !DECLARED_LENGTH.test(declared) ||
      Number(declared) > Math.min(MAX_BODY_BYTES, deps.bodyLimitBytes) ||
      h['transfer-encoding'] !== undefined ||
      h['content-encoding'] !== undefined ||
      h['idempotency-key'] !== undefined ||
      h['content-type'] === undefined ||
      !JSON_REQUEST.test(h['content-type'])
    ) {
      counted.handedOn.inc();
      return next(req, res);
    }
    const token = BEARER.exec(h.authorization ?? '')?.[1];
    if (token === undefined) {
      counted.handedOn.inc();
      return next(req, res);
    }
    const started = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      if (received.push({ req, res, storeId: match[1] as string, token, body, started }) === 1) setImmediate(startReceived);
    });
  };
}

/** A request whose body has been read, waiting for the end of this turn. */
interface Received {
  req: IncomingMessage;
  res: ServerResponse;
  storeId: string;
  /** The bearer credential, as the full stack's `bearerAuth` reads it. */
  token: string;
  body: Buffer;
  started: number;
}

/**
 * Who a credential is and who owns a store, looked up once per turn: the requests of a turn are
 * started together, synchronously, so they see the same state either way (an app typically
 * presents one key for all its Checks). Lives only while the turn's requests start; it holds
 * the presented credentials no longer than their requests do.
 */
class TurnLookups {
  readonly #principals = new Map<string, Principal | undefined>();
  readonly #owners = new Map<string, Tenant | undefined>();

  constructor(private readonly deps: NodeCheckLaneDeps) {}

  principal(token: string): Principal | undefined {
    if (this.#principals.has(token)) return this.#principals.get(token);
    const principal = authenticateBearer(this.deps.authenticators, token);
    this.#principals.set(token, principal);
    return principal;
  }

  owner(storeId: string): Tenant | undefined {
    if (this.#owners.has(storeId)) return this.#owners.get(storeId);
    const owner = this.deps.owner(storeId);
    this.#owners.set(storeId, owner);
    return owner;
  }
}

/** The full stack reads a body already read from `rawBody` (@hono/node-server). */
function fallBack(req: IncomingMessage, res: ServerResponse, body: Buffer, next: Listener): void {
  (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
  next(req, res);
}

/** Answers a plain Check, or returns false for the full stack to answer. Looks up `turn` only before its first await. */
async function answer(deps: NodeCheckLaneDeps, { req, res, storeId, token, body: raw, started }: Received, turn: TurnLookups): Promise<boolean> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return false;
  }
  const body = plainCheckBody(parsed);
  if (!body) return false;
  const principal = turn.principal(token);
  if (!principal) return false;
  const tenant = decideStoreAccess(principal, turn.owner(storeId), 'authz:read');
  if (!deps.limiter.wouldAllow(principal.credentialId)) return false;
  const result = await deps.check(storeId, body);
  if (deps.limiter.take(principal.credentialId) > 0) return false;

  const requestId = requestIdFrom(header(req, 'x-request-id'));
  const payload = JSON.stringify(result);
  res.writeHead(200, { 'X-Request-Id': requestId, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
  const seconds = (performance.now() - started) / 1000;
  deps.metrics.observeRequest('POST', CHECK_ROUTE, 200, seconds);
  deps.accessLog({
    requestId,
    method: 'POST',
    path: req.url as string,
    route: CHECK_ROUTE,
    status: 200,
    durationMs: Math.round(seconds * 1000 * 100) / 100,
    tenantId: tenant.id,
    principal: { kind: principal.kind, credentialId: principal.credentialId },
    ip: (deps.trustProxy > 0 ? forwardedFor(header(req, 'x-forwarded-for'), deps.trustProxy) : undefined) ?? req.socket.remoteAddress ?? null,
  });
  return true;
}

/** A header as Hono's `c.req.header` reads it (repeated headers joined). */
const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};
