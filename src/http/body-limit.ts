import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { payloadTooLarge } from './errors.ts';

/**
 * Caps request bodies (413 `payload_too_large`), whether or not Content-Length is sent. GET and
 * HEAD skip the check (their bodies are never read): touching the body would make the Node
 * adapter build a full Request object on every read. For the same reason a declared
 * Content-Length (without Transfer-Encoding) is checked from the header alone: Node's HTTP
 * parser never delivers more body than it declares.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler {
  const limit = honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw payloadTooLarge(maxBytes);
    },
  });
  return async function bodyLimitMiddleware(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const declared = c.req.header('content-length');
    if (declared !== undefined && /^\d{1,15}$/.test(declared) && c.req.header('transfer-encoding') === undefined) {
      if (Number(declared) > maxBytes) throw payloadTooLarge(maxBytes);
      return next();
    }
    return limit(c, next);
  };
}
