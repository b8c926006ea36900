import { createRoute, z } from '@hono/zod-openapi';
import type { ReadRequest } from '@openfga/sdk';
import { actorFrom } from '../../http/actor.ts';
import type { WriteBody as EngineWriteBody } from '../engine.ts';
import { needs, type AuthzRouteDeps } from './deps.ts';
import { createFgaRouter, fgaErrors } from './errors.ts';
import { ChangesQuery, OpaqueResponse, ReadBody, WriteBody, dropNullFields } from './schemas.ts';

const StoreParam = z.object({ store_id: z.string() });
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });

const write = createRoute({
  method: 'post',
  path: '/{store_id}/write',
  summary: 'Write and delete tuples, all or none (scope authz:write)',
  request: { params: StoreParam, body: { required: true, ...json(WriteBody) } },
  responses: { 200: { description: 'Applied', ...json(z.object({})) }, ...fgaErrors },
});

const read = createRoute({
  method: 'post',
  path: '/{store_id}/read',
  summary: 'Read stored tuples matching a filter (scope authz:read)',
  request: { params: StoreParam, body: { required: true, ...json(ReadBody) } },
  responses: { 200: { description: 'A page of tuples', ...json(OpaqueResponse('ReadResponse')) }, ...fgaErrors },
});

const changes = createRoute({
  method: 'get',
  path: '/{store_id}/changes',
  summary: 'Read the tuple change log (scope authz:read)',
  request: { params: StoreParam, query: ChangesQuery },
  responses: { 200: { description: 'A page of changes', ...json(OpaqueResponse('ReadChangesResponse')) }, ...fgaErrors },
});

export function tupleRoutes(deps: AuthzRouteDeps) {
  const app = createFgaRouter();

  app.openapi({ ...write, middleware: needs(deps, 'authz:write') }, async (c) => {
    await deps.engine.as(actorFrom(c)).write(c.get('authzTenant').authz_store_id, dropNullFields(c.req.valid('json')) as EngineWriteBody);
    return c.json({}, 200);
  });

  app.openapi({ ...read, middleware: needs(deps, 'authz:read') }, async (c) => {
    const res = await deps.engine.read(c.get('authzTenant').authz_store_id, dropNullFields(c.req.valid('json')) as ReadRequest);
    return c.json(res as unknown as Record<string, unknown>, 200);
  });

  app.openapi({ ...changes, middleware: needs(deps, 'authz:read') }, async (c) => {
    const res = await deps.engine.readChanges(c.get('authzTenant').authz_store_id, c.req.valid('query'));
    return c.json(res as unknown as Record<string, unknown>, 200);
  });

  return app;
}
