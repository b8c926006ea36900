import type { MiddlewareHandler } from 'hono';
import { OpenFgaError } from '../errors.ts';
import { JSON_REQUEST } from './fast-lane.ts';

/**
 * Deeper than any real model, tuple or condition context (a model's rewrite tree nests a few
 * levels per operator). The body's walkers (null dropping, context validation, assertions) recurse,
 * so a body nested thousands of levels deep would overflow the stack: it is refused first.
 */
export const MAX_JSON_DEPTH = 256;

/** Whether `text` nests objects and arrays deeper than `max`, read without parsing (strings skipped). */
export function jsonNestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > max) return true;
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
  return false;
}

/** Refuses a JSON body nested deeper than MAX_JSON_DEPTH with OpenFGA's 400 `validation_error`. */
export const jsonDepthLimit: MiddlewareHandler = async function jsonDepthLimitMiddleware(c, next) {
  const type = c.req.header('content-type');
  if (c.req.method === 'GET' || type === undefined || !JSON_REQUEST.test(type)) return next();
  if (jsonNestingExceeds(await c.req.text(), MAX_JSON_DEPTH)) {
    throw new OpenFgaError(400, 'validation_error', `invalid request body: nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return next();
};
