import type { Context } from 'hono';
import { SCIM_CONTENT_TYPE } from '../schema/urns.ts';
import type { ScimResult } from '../request.ts';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { jsonWithHeaders } from '../../../http/json-response.ts';

/** Turns a ScimResult into the HTTP response: SCIM content type, ETag and Location headers. */
export function respond(c: Context, r: ScimResult): Response {
  const headers: Record<string, string> = {};
  if (r.etag) headers.ETag = r.etag;
  if (r.location && r.status === 201) headers.Location = r.location;
  if (r.body === undefined) return c.body(null, r.status as 204, headers);
  return jsonWithHeaders(r.body, r.status as ContentfulStatusCode, headers, SCIM_CONTENT_TYPE);
}
