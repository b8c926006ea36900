import type { MiddlewareHandler } from 'hono';
import { JSON_REQUEST } from './fast-lane.ts';
import { dropNullFields } from './schemas.ts';

/**
 * OpenFGA parses bodies as protobuf JSON, where `null` means the field's default at any depth:
 * OpenFGA's Go SDK (and so the `fga` CLI) sends `"contextual_tuples":{"tuple_keys":null}` on
 * every query. The body the route validators see has its null fields dropped (values inside a
 * `context` object are kept: there a null is a value). A body that is not JSON is left for the
 * validators to refuse as before; an empty one reads as `{}`.
 */
export const protoJsonNulls: MiddlewareHandler = async function protoJsonNullsMiddleware(c, next) {
  const type = c.req.header('content-type');
  if (c.req.method === 'GET' || type === undefined || !JSON_REQUEST.test(type)) return next();
  // Most clients send no null at all: one substring search on the (cached) text, no parse.
  const text = await c.req.text();
  // An empty body is the empty message in protobuf JSON, as OpenFGA reads it.
  if (text.trim() === '') (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve('{}');
  if (!text.includes('null')) return next();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return next();
  }
  // Hono's json() parses the cached text each time it is called: replace the text. (The cache
  // holds promises, whatever its declared type says.)
  (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(JSON.stringify(dropNullFields(body)));
  return next();
};

