import { createRoute, z } from '@hono/zod-openapi';
import { SCIM_CONTENT_TYPE } from '../schema/urns.ts';

const Resource = z.looseObject({}).openapi('ScimResource', { description: 'A SCIM resource or message (RFC 7643/7644).' });
const ScimErrorBody = z
  .object({ schemas: z.array(z.string()), status: z.string(), scimType: z.string().optional(), detail: z.string() })
  .openapi('ScimError');

const scimContent = (schema: z.ZodType) => ({ [SCIM_CONTENT_TYPE]: { schema } });
const errors = {
  400: { description: 'Invalid request (scimType says why)', content: scimContent(ScimErrorBody) },
  401: { description: 'Missing, unknown or revoked SCIM token', content: scimContent(ScimErrorBody) },
  404: { description: 'Not found, or in another directory', content: scimContent(ScimErrorBody) },
  429: { description: 'Rate limited (Retry-After)', content: scimContent(ScimErrorBody) },
};

const Directory = z.string().min(1).max(64).openapi({ description: 'The SCIM directory id (`dir_…`).' });
const Id = z.string().min(1).max(200);

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * A SCIM route for the OpenAPI document. Bodies are read by the SCIM layer itself (attribute
 * names are case-insensitive and extensions are keyed by URN, which a strict zod schema cannot
 * express); the SCIM discovery endpoints describe the resources exactly.
 */
export function scimRoute(method: Method, path: string, summary: string, success: number, withBody = false) {
  const params = path.includes('{id}') ? z.object({ directory: Directory, id: Id }) : z.object({ directory: Directory });
  return createRoute({
    method,
    path,
    summary,
    tags: ['SCIM 2.0'],
    security: [{ scimToken: [] }],
    request: {
      params,
      ...(withBody ? { body: { description: 'application/scim+json or application/json', content: scimContent(Resource), required: false } } : {}),
    },
    responses: {
      [success]: success === 204 ? { description: 'Done' } : { description: 'OK', content: scimContent(Resource) },
      ...errors,
    },
  });
}
