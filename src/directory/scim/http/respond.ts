import type { Context } from 'hono';
import { SCIM_CONTENT_TYPE } from '../schema/urns.ts';
import type { ScimResult } from '../request.ts';

/** Turns a ScimResult into the HTTP response: SCIM content type, ETag and Location headers. */
export function respond(c: Context, r: ScimResult): Response {
  const headers: Record<string, string> = {};
  if (r.etag) headers.ETag = r.etag;
  if (r.location && r.status === 201) headers.Location = r.location;
  if (r.body === undefined) return c.body(null, r.status as 204, headers);
  headers['Content-Type'] = SCIM_CONTENT_TYPE;
  return c.body(JSON.stringify(r.body), r.status as 200, headers);
}
