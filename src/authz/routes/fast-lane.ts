import type { CheckRequest, ConsistencyPreference } from '@openfga/sdk';
import type { Context, MiddlewareHandler } from 'hono';

/** The JSON media types the declared routes accept (as @hono/zod-openapi matches `application/json`). */
export const JSON_REQUEST = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/**
 * A fast lane in front of a hot route declared with `createRoute`: a JSON body that `accept`
 * recognises as well formed (returning it exactly as the route's zod schema plus
 * `dropNullFields` would) is handled at once; anything else — another media type, malformed
 * JSON, a shape `accept` does not vouch for — falls through to the declared route, whose
 * validation answers as before. Register it on the same path, before the declared route.
 */
export function fastJsonLane<T>(accept: (body: unknown) => T | undefined, handle: (c: Context, body: T) => Promise<Response>): MiddlewareHandler {
  return async function fastJsonLaneMiddleware(c, next) {
    const type = c.req.header('content-type');
    if (type === undefined || !JSON_REQUEST.test(type)) return next();
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return next();
    }
    const body = accept(raw);
    return body === undefined ? next() : handle(c, body);
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A Check body without contextual tuples, as `CheckBody` would parse it: unknown fields dropped,
 * `null` fields absent. Undefined when any field needs the schema's judgement.
 */
export function plainCheckBody(raw: unknown): CheckRequest | undefined {
  if (!isObject(raw)) return undefined;
  const tk = raw.tuple_key;
  if (!isObject(tk)) return undefined;
  const { user, relation, object } = tk;
  if (typeof user !== 'string' || typeof relation !== 'string' || typeof object !== 'string') return undefined;
  if (raw.contextual_tuples !== undefined && raw.contextual_tuples !== null) return undefined;
  const body: CheckRequest = { tuple_key: { user, relation, object } };
  const { authorization_model_id: model, trace, context, consistency } = raw;
  if (model !== undefined && model !== null) {
    if (typeof model !== 'string') return undefined;
    body.authorization_model_id = model;
  }
  if (trace !== undefined && trace !== null) {
    if (typeof trace !== 'boolean') return undefined;
    body.trace = trace;
  }
  if (context !== undefined && context !== null) {
    if (!isObject(context)) return undefined;
    body.context = context;
  }
  if (consistency !== undefined && consistency !== null) {
    if (typeof consistency !== 'string') return undefined;
    body.consistency = consistency as ConsistencyPreference;
  }
  return body;
}
