import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Logger } from 'pino';
import type { ServerResponse } from 'node:http';
import { newId } from '../lib/ids.ts';
import type { Metrics } from '../observability/metrics.ts';
import { routePath } from 'hono/route';
import { createAccessLog } from '../observability/logger.ts';
import './context.ts';

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id: a sane incoming `X-Request-Id`, else a new one. */
export const requestIdFrom = (incoming: string | undefined): string => (incoming && INCOMING_ID.test(incoming) ? incoming : newId('req'));

/**
 * First middleware on every request: assigns the request id (reusing a sane incoming
 * `X-Request-Id`), resolves the client IP, and on the way out echoes the
 * id, writes one access-log line and records request metrics.
 */
export function requestContext(options: { logger: Logger; metrics: Metrics; trustProxy: number }): MiddlewareHandler {
  const { logger, metrics, trustProxy } = options;
  const accessLog = createAccessLog(logger);
  return async function requestContextMiddleware(c, next) {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = requestIdFrom(incoming);
    c.set('requestId', requestId);
    // On Node the id goes onto the outgoing message (see nodeOutgoing); elsewhere, at the end.
    const outgoing = nodeOutgoing(c);
    outgoing?.setHeader('X-Request-Id', requestId);
    c.set('clientIp', clientIp(c, trustProxy));
    c.set('log', logger);
    c.set('principal', undefined);
    c.set('tenantId', undefined);
    try {
      await next();
    } finally {
      if (!outgoing) c.header('X-Request-Id', requestId);
      // A handler that wrote Node's response itself (the OpenID Provider) returns a placeholder.
      const status = outgoing?.headersSent ? outgoing.statusCode : c.res.status;
      const route = routePath(c, -1) || 'unmatched';
      const seconds = (performance.now() - started) / 1000;
      metrics.observeRequest(c.req.method, route, status, seconds);
      const principal = c.get('principal');
      accessLog({
        requestId,
        method: c.req.method,
        path: c.req.path,
        route,
        status,
        durationMs: Math.round(seconds * 1000 * 100) / 100,
        tenantId: c.get('tenantId') ?? (principal?.kind === 'tenant' ? principal.tenantId : undefined),
        principal: principal ? { kind: principal.kind, credentialId: principal.credentialId } : undefined,
        ip: c.get('clientIp'),
      });
    }
  };
}

/**
 * The client as the outermost of `hops` trusted proxies saw it: each proxy appends the address
 * it received from, so that is the `hops`-th entry from the right (the leftmost when there are
 * fewer). Entries further left came from the client and could say anything.
 */
export function forwardedFor(header: string | undefined, hops: number): string | undefined {
  if (!header || hops < 1) return undefined;
  const entries = header.split(',').map((e) => e.trim()).filter(Boolean);
  return entries[Math.max(0, entries.length - hops)];
}

function clientIp(c: Parameters<MiddlewareHandler>[0], trustProxy: number): string | null {
  const forwarded = trustProxy > 0 ? forwardedFor(c.req.header('x-forwarded-for'), trustProxy) : undefined;
  if (forwarded) return forwarded;
  // Requests made in process (app.request) have no socket.
  if (!(c.env as { incoming?: unknown } | undefined)?.incoming) return null;
  return getConnInfo(c).remote.address ?? null;
}

/**
 * Node's outgoing message, when the request came through the Node server and nothing is sent yet.
 * The request id set on it is merged by Node into whatever response is built (error responses
 * included), and the response keeps its plain header object, which the adapter writes without
 * converting. Set before the handler runs: changing headers afterwards makes Hono rebuild the
 * response as a stream. Off Node (`app.request`, other runtimes) the caller sets the id on the
 * finished response instead.
 */
function nodeOutgoing(c: Context): ServerResponse | undefined {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  return outgoing && typeof outgoing.setHeader === 'function' && !outgoing.headersSent ? outgoing : undefined;
}
