import { createRoute, z } from '@hono/zod-openapi';
import type { ListObjectsRequest, ListUsersRequest } from '@openfga/sdk';
import { needs, TRUNCATED_HEADER, type AuthzRouteDeps } from './deps.ts';
import { createFgaRouter, fgaErrors } from './errors.ts';
import { ListObjectsBody, ListObjectsResponse, ListUsersBody, ListUsersResponse, dropNullFields } from './schemas.ts';

const StoreParam = z.object({ store_id: z.string() });
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
const truncatedHeader = z.object({
  [TRUNCATED_HEADER]: z.enum(['true', 'false']).openapi({ description: '`true` when the list is incomplete.' }),
});

const listObjects = createRoute({
  method: 'post',
  path: '/{store_id}/list-objects',
  summary: 'Objects of a type the user has a relation with (scope authz:read)',
  request: { params: StoreParam, body: { required: true, ...json(ListObjectsBody) } },
  responses: { 200: { description: 'The objects', headers: truncatedHeader, ...json(ListObjectsResponse) }, ...fgaErrors },
});

const streamedListObjects = createRoute({
  method: 'post',
  path: '/{store_id}/streamed-list-objects',
  summary: 'List objects as a stream of `{"result":{"object":…}}` lines (scope authz:read)',
  request: { params: StoreParam, body: { required: true, ...json(ListObjectsBody) } },
  responses: {
    200: { description: 'NDJSON lines; a last `{"truncated":true}` line when incomplete', headers: truncatedHeader, content: { 'application/x-ndjson': { schema: z.string() } } },
    ...fgaErrors,
  },
});

const listUsers = createRoute({
  method: 'post',
  path: '/{store_id}/list-users',
  summary: 'Users (matching the filters) that have a relation with an object (scope authz:read)',
  request: { params: StoreParam, body: { required: true, ...json(ListUsersBody) } },
  responses: { 200: { description: 'The users', headers: truncatedHeader, ...json(ListUsersResponse) }, ...fgaErrors },
});

const mark = (truncated: boolean | undefined) => ({ [TRUNCATED_HEADER]: truncated ? 'true' : 'false' });

export function listRoutes(deps: AuthzRouteDeps) {
  const app = createFgaRouter();

  app.openapi({ ...listObjects, middleware: needs(deps, 'authz:read') }, async (c) => {
    const res = await deps.engine.listObjects(c.get('authzTenant').authz_store_id, dropNullFields(c.req.valid('json')) as ListObjectsRequest);
    return c.json(res.truncated ? { objects: res.objects, truncated: true } : { objects: res.objects }, 200, mark(res.truncated));
  });

  app.openapi({ ...streamedListObjects, middleware: needs(deps, 'authz:read') }, async (c) => {
    const res = await deps.engine.listObjects(c.get('authzTenant').authz_store_id, dropNullFields(c.req.valid('json')) as ListObjectsRequest);
    const lines = res.objects.map((object) => JSON.stringify({ result: { object } }));
    if (res.truncated) lines.push(JSON.stringify({ truncated: true }));
    // NDJSON as OpenFGA sends it (declared as JSON): the typed-response helpers cannot express it.
    return c.body(lines.map((l) => `${l}\n`).join(''), 200, { 'Content-Type': 'application/json', ...mark(res.truncated) }) as never;
  });

  app.openapi({ ...listUsers, middleware: needs(deps, 'authz:read') }, async (c) => {
    const res = await deps.engine.listUsers(c.get('authzTenant').authz_store_id, dropNullFields(c.req.valid('json')) as ListUsersRequest);
    const users = res.users as unknown as Record<string, unknown>[];
    return c.json(res.truncated ? { users, truncated: true } : { users }, 200, mark(res.truncated));
  });

  return app;
}
