import type { TypedResponse } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { JSONParsed } from 'hono/utils/types';

/**
 * `c.json(body, status, headers)` for responses with headers of their own (ETag, Location),
 * typed the same way. Hono turns more than one header into a WHATWG `Headers` object, which the
 * Node adapter then copies back out header by header; a plain object goes straight to Node.
 * Being a response of its own, it does not carry headers set earlier with `c.header()`: no
 * middleware does that before a handler (the request context puts X-Request-Id on Node's
 * outgoing message, or on the finished response).
 */
export function jsonWithHeaders<T, S extends ContentfulStatusCode>(
  body: T,
  status: S,
  headers: Record<string, string>,
  contentType = 'application/json',
): Response & TypedResponse<JSONParsed<T>, S, 'json'> {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': contentType, ...headers } }) as Response &
    TypedResponse<JSONParsed<T>, S, 'json'>;
}
