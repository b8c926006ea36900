import { createRoute, z } from '@hono/zod-openapi';
import type { BatchCheckRequest, CheckRequest, ExpandRequest } from '@openfga/sdk';
import { needs, type AuthzRouteDeps } from './deps.ts';
import { createFgaRouter, fgaErrors } from './errors.ts';
import { fastJsonLane, plainCheckBody } from './fast-lane.ts';
import { BatchCheckBody, CheckBody, CheckResponse, ExpandBody, OpaqueResponse, dropNullFields } from './schemas.ts';

const StoreParam = z.object({ store_id: z.string() });
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });

const check = createRoute({
  method: 'post',
  path: '/{store_id}/check',
  summary: 'Check whether a user has a relation with an object (scope authz:read)',
  request: { params: StoreParam, body: { required: true, ...json(CheckBody) } },
  responses: { 200: { description: 'The decision', ...json(CheckResponse) }, ...fgaErrors },
});

const batchCheck = createRoute({
  method: 'post',
  path: '/{store_id}/batch-check',
  summary: 'Several checks in one call, answered by correlation id (scope authz:read)',
  request: { params: StoreParam, body: { required: true, ...json(BatchCheckBody) } },
  responses: { 200: { description: 'Decisions by correlation id', ...json(OpaqueResponse('BatchCheckResponse')) }, ...fgaErrors },
});

const expand = createRoute({
  method: 'post',
  path: '/{store_id}/expand',
  summary: 'Expand the userset tree of a relation on an object (scope authz:read)',
  request: { params: StoreParam, body: { required: true, ...json(ExpandBody) } },
  responses: { 200: { description: 'The tree', ...json(OpaqueResponse('ExpandResponse')) }, ...fgaErrors },
});

export function queryRoutes(deps: AuthzRouteDeps) {
  const app = createFgaRouter();

  // The hot path: a plain Check skips the generic validators (same answer, a fraction of the work).
  const plainCheck = fastJsonLane(plainCheckBody, async (c, body) => c.json(await deps.engine.check(c.get('authzTenant').authz_store_id, body), 200));
  app.on(['POST'], ['/:store_id/check'], ...needs(deps, 'authz:read'), plainCheck);
  app.openapi({ ...check, middleware: needs(deps, 'authz:read') }, async (c) => {
    const res = await deps.engine.check(c.get('authzTenant').authz_store_id, dropNullFields(c.req.valid('json')) as CheckRequest);
    return c.json(res, 200);
  });

  app.openapi({ ...batchCheck, middleware: needs(deps, 'authz:read') }, async (c) => {
    const res = await deps.engine.batchCheck(c.get('authzTenant').authz_store_id, dropNullFields(c.req.valid('json')) as BatchCheckRequest);
    return c.json(res as unknown as Record<string, unknown>, 200);
  });

  app.openapi({ ...expand, middleware: needs(deps, 'authz:read') }, async (c) => {
    const res = await deps.engine.expand(c.get('authzTenant').authz_store_id, dropNullFields(c.req.valid('json')) as ExpandRequest);
    return c.json(res as unknown as Record<string, unknown>, 200);
  });

  return app;
}
