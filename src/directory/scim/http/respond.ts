import type { Context } from 'hono';
import { SCIM_CONTENT_TYPE } from '../schema/urns.ts';
import type { ScimResult } from '../request.ts';

/** Turns a ScimResult into the HTTP response: SCIM content type, ETag and Location headers. */
export function respond(c: Context, r: ScimResult): Response {
  const headers: Record<string, string> = {};
  if (r.etag) headers.ETag = r.etag;
  if (r.location && r.status === 201) headers.Location = r.location;
  if (r.body === undefined) return c.body(null, r.status as 204, headers);
  // A plain header object goes straight to Node; c.body would build a WHATWG Headers from it.
  return new Response(JSON.stringify(r.body), { status: r.status, headers: { 'content-type': SCIM_CONTENT_TYPE, ...headers } });
}
