import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { payloadTooLarge } from './errors.ts';

/**
 * Caps request bodies (413 `payload_too_large`), whether or not Content-Length is sent. GET and
 * HEAD skip the check (their bodies are never read): touching the body would make the Node
 * adapter build a full Request object on every read.
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
    return limit(c, next);
  };
}
