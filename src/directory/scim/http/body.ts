import type { Context } from 'hono';
import { ScimError, invalidSyntax } from '../errors.ts';

const SCIM_OR_JSON = /^application\/(scim\+)?json\s*(;|$)/i;
/** Deeper than any SCIM message (a Bulk operation's manager.value is 6 levels down). */
export const MAX_BODY_DEPTH = 32;

/** Reads a SCIM request body: application/scim+json or application/json, valid JSON, or a SCIM 400/415. */
export async function readScimBody(c: Context): Promise<unknown> {
  const type = c.req.header('content-type');
  if (type !== undefined && !SCIM_OR_JSON.test(type)) {
    throw new ScimError(415, undefined, 'Send the body as application/scim+json or application/json.');
  }
  const text = await c.req.text();
  if (text.trim() === '') throw invalidSyntax('A JSON request body is required.');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalidSyntax('The request body is not valid JSON.');
  }
  if (depthExceeds(body, MAX_BODY_DEPTH)) throw invalidSyntax(`The request body is nested deeper than ${MAX_BODY_DEPTH} levels.`);
  return body;
}

/** Iterative, so a body nested thousands of levels deep cannot overflow the stack while it is measured. */
function depthExceeds(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (typeof value !== 'object' || value === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}
