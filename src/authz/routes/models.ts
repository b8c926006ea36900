import { createRoute, z } from '@hono/zod-openapi';
import type { WriteAuthorizationModelRequest } from '@openfga/sdk';
import { actorFrom } from '../../http/actor.ts';
import { OpenFgaError } from '../errors.ts';
import { needs, type AuthzRouteDeps } from './deps.ts';
import { createFgaRouter, fgaErrors } from './errors.ts';
import { modelOnTheWire } from './model-wire.ts';
import { OpaqueResponse, PageQuery, WriteModelBody, dropNullFields } from './schemas.ts';

const StoreParam = z.object({ store_id: z.string() });
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });

const write = createRoute({
  method: 'post',
  path: '/{store_id}/authorization-models',
  summary: 'Write an authorization model (scope authz:model)',
  request: { params: StoreParam, body: { required: true, ...json(WriteModelBody) } },
  responses: { 201: { description: 'Written', ...json(z.object({ authorization_model_id: z.string() })) }, ...fgaErrors },
});

const list = createRoute({
  method: 'get',
  path: '/{store_id}/authorization-models',
  summary: 'List authorization models, newest first (scope authz:read)',
  request: { params: StoreParam, query: PageQuery },
  responses: { 200: { description: 'A page', ...json(OpaqueResponse('ReadAuthorizationModelsResponse')) }, ...fgaErrors },
});

const read = createRoute({
  method: 'get',
  path: '/{store_id}/authorization-models/{id}',
  summary: 'Read one authorization model (scope authz:read)',
  request: { params: StoreParam.extend({ id: z.string() }) },
  responses: { 200: { description: 'The model', ...json(OpaqueResponse('ReadAuthorizationModelResponse')) }, ...fgaErrors },
});

export function modelRoutes(deps: AuthzRouteDeps) {
  const app = createFgaRouter();

  app.openapi({ ...write, middleware: needs(deps, 'authz:model') }, async (c) => {
    const body = dropNullFields(c.req.valid('json')) as WriteAuthorizationModelRequest;
    const res = await deps.engine.as(actorFrom(c)).writeAuthorizationModel(c.get('authzTenant').authz_store_id, body);
    return c.json(res, 201);
  });

  app.openapi({ ...list, middleware: needs(deps, 'authz:read') }, async (c) => {
    const { page_size, continuation_token } = c.req.valid('query');
    if (page_size !== undefined && (page_size < 1 || page_size > 100)) {
      throw new OpenFgaError(400, 'page_size_invalid', 'invalid ReadAuthorizationModelsRequest.PageSize: value must be inside range [1, 100]');
    }
    const res = await deps.engine.readAuthorizationModels(c.get('authzTenant').authz_store_id, { page_size, continuation_token });
    return c.json({ ...res, authorization_models: res.authorization_models.map(modelOnTheWire) }, 200);
  });

  app.openapi({ ...read, middleware: needs(deps, 'authz:read') }, async (c) => {
    const model = await deps.engine.readAuthorizationModel(c.get('authzTenant').authz_store_id, c.req.valid('param').id);
    return c.json({ authorization_model: modelOnTheWire(model) }, 200);
  });

  return app;
}
