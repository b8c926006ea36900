import type { Context } from 'hono';
import { ScimError, invalidSyntax } from '../errors.ts';

const SCIM_OR_JSON = /^application\/(scim\+)?json\s*(;|$)/i;

/** Reads a SCIM request body: application/scim+json or application/json, valid JSON, or a SCIM 400/415. */
export async function readScimBody(c: Context): Promise<unknown> {
  const type = c.req.header('content-type');
  if (type !== undefined && !SCIM_OR_JSON.test(type)) {
    throw new ScimError(415, undefined, 'Send the body as application/scim+json or application/json.');
  }
  const text = await c.req.text();
  if (text.trim() === '') throw invalidSyntax('A JSON request body is required.');
  try {
    return JSON.parse(text);
  } catch {
    throw invalidSyntax('The request body is not valid JSON.');
  }
}
