import { createRoute, z } from '@hono/zod-openapi';
import { actorFrom } from '../../http/actor.ts';
import { requirePlatform } from '../../http/access.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import { OpenFgaError } from '../errors.ts';
import { decideStoreAccess, forbiddenScope } from './access.ts';
import { needs, type AuthzRouteDeps } from './deps.ts';
import { createFgaRouter, fgaErrors } from './errors.ts';
import { CreateStoreBody, ListStoresQuery, StoreSchema, dropNullFields } from './schemas.ts';

const StoreParam = z.object({ store_id: z.string() });
const STORE_NAME = /^[a-zA-Z0-9\s.\-/^_&@]{3,64}$/;
const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });

const create = createRoute({
  method: 'post',
  path: '/',
  summary: 'Create a store (platform key): creates a tenant whose authorization store it is',
  request: { body: { required: true, ...json(CreateStoreBody) } },
  responses: { 201: { description: 'Created', ...json(StoreSchema.omit({ deleted_at: true })) }, ...fgaErrors },
});

const list = createRoute({
  method: 'get',
  path: '/',
  summary: 'List stores (a tenant key sees only its own)',
  request: { query: ListStoresQuery },
  responses: {
    200: { description: 'A page', ...json(z.object({ stores: z.array(StoreSchema), continuation_token: z.string() })) },
    ...fgaErrors,
  },
});

const get = createRoute({
  method: 'get',
  path: '/{store_id}',
  summary: 'Get a store',
  request: { params: StoreParam },
  responses: { 200: { description: 'The store', ...json(StoreSchema) }, ...fgaErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/{store_id}',
  summary: 'Delete a store (platform key): deletes its tenant',
  request: { params: StoreParam },
  responses: { 204: { description: 'Deleted' }, ...fgaErrors },
});

const storeView = (t: Tenant) => ({ id: t.authz_store_id, name: t.name, created_at: t.created_at, updated_at: t.updated_at });

export function storeRoutes(deps: AuthzRouteDeps) {
  const app = createFgaRouter();

  app.openapi(create, async (c) => {
    requirePlatform(c.get('principal'));
    const { name } = dropNullFields(c.req.valid('json'));
    if (!STORE_NAME.test(name)) {
      throw new OpenFgaError(400, 'validation_error', `invalid CreateStoreRequest.Name: value does not match regex pattern "${STORE_NAME.source}"`);
    }
    const tenant = await deps.tenants.create({ name }, actorFrom(c));
    c.set('tenantId', tenant.id);
    return c.json(storeView(tenant), 201);
  });

  app.openapi(list, (c) => {
    const principal = c.get('principal');
    const { page_size, continuation_token, name } = c.req.valid('query');
    if (principal?.kind === 'tenant') {
      const own = deps.owner(deps.tenants.get(principal.tenantId).authz_store_id);
      // The checks of every store route: the scope, then a suspended tenant is refused.
      if (own) decideStoreAccess(principal, own, 'authz:read');
      else if (!principal.scopes.has('authz:read')) throw forbiddenScope('authz:read');
      const stores = own && (name === undefined || own.name === name) ? [storeView(own)] : [];
      return c.json({ stores, continuation_token: '' }, 200);
    }
    requirePlatform(principal);
    const limit = page_size ?? 50;
    if (limit < 1 || limit > 100) throw new OpenFgaError(400, 'page_size_invalid', 'invalid ListStoresRequest.PageSize: value must be inside range [1, 100]');
    const stores: ReturnType<typeof storeView>[] = [];
    let cursor = continuation_token || undefined;
    do {
      const page = deps.tenants.list({ cursor, limit: limit - stores.length });
      stores.push(...page.data.filter((t) => name === undefined || t.name === name).map(storeView));
      cursor = page.next_cursor ?? undefined;
    } while (cursor && stores.length < limit && name !== undefined);
    return c.json({ stores, continuation_token: cursor ?? '' }, 200);
  });

  app.openapi({ ...get, middleware: needs(deps, 'authz:read') }, (c) => c.json({ ...storeView(c.get('authzTenant')), deleted_at: null }, 200));

  app.openapi({ ...remove, middleware: needs(deps, 'authz:model') }, async (c) => {
    requirePlatform(c.get('principal'));
    const tenant = c.get('authzTenant');
    // The store is purged with its tenant (at once when small, else by the housekeeping).
    deps.tenants.delete(tenant.id, undefined, actorFrom(c));
    return c.body(null, 204);
  });

  return app;
}
