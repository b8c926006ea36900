import { createRoute, z } from '@hono/zod-openapi';
import type { Assertion } from '@openfga/sdk';
import { actorFrom } from '../../http/actor.ts';
import { recordAll } from '../wrappers/audited.ts';
import { needs, type AuthzRouteDeps } from './deps.ts';
import { createFgaRouter, fgaErrors } from './errors.ts';
import { AssertionsBody, OpaqueResponse, dropNullFields } from './schemas.ts';

const Params = z.object({ store_id: z.string(), authorization_model_id: z.string() });
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });

const read = createRoute({
  method: 'get',
  path: '/{store_id}/assertions/{authorization_model_id}',
  summary: "Read a model's assertions (scope authz:read)",
  request: { params: Params },
  responses: { 200: { description: 'The assertions', ...json(OpaqueResponse('ReadAssertionsResponse')) }, ...fgaErrors },
});

const write = createRoute({
  method: 'put',
  path: '/{store_id}/assertions/{authorization_model_id}',
  summary: "Replace a model's assertions (scope authz:model)",
  request: { params: Params, body: { required: true, ...json(AssertionsBody) } },
  responses: { 204: { description: 'Written' }, ...fgaErrors },
});

export function assertionRoutes(deps: AuthzRouteDeps) {
  const app = createFgaRouter();

  app.openapi({ ...read, middleware: needs(deps, 'authz:read') }, async (c) => {
    const modelId = c.req.valid('param').authorization_model_id;
    const assertions = await deps.assertions.read(c.get('authzTenant').authz_store_id, modelId);
    return c.json({ authorization_model_id: modelId, assertions } as Record<string, unknown>, 200);
  });

  app.openapi({ ...write, middleware: needs(deps, 'authz:model') }, async (c) => {
    const modelId = c.req.valid('param').authorization_model_id;
    const storeId = c.get('authzTenant').authz_store_id;
    const assertions = (dropNullFields(c.req.valid('json')).assertions ?? []) as Assertion[];
    const actor = actorFrom(c);
    await deps.assertions.write(storeId, modelId, assertions, () =>
      recordAll(deps.audit, storeId, [
        {
          action: 'authz.assertions.written',
          target: { type: 'authorization_model', id: modelId },
          after: { assertions },
          metadata: { store_id: storeId, count: assertions.length },
        },
      ], actor),
    );
    return c.body(null, 204);
  });

  return app;
}
