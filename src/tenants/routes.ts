import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../http/router.ts';
import { actorFrom } from '../http/actor.ts';
import { authorizeTenant, requirePlatform } from '../http/access.ts';
import { PaginationQuery, TenantParam, commonErrors, errorResponse, jsonBody } from '../http/schemas.ts';
import { CreateTenantBody, IfMatchHeader, TenantPageSchema, TenantSchema, UpdateTenantBody } from './schemas.ts';
import { etagOf, tenantView, type Tenant } from './tenant.ts';
import type { TenantService } from './service.ts';
import { jsonWithHeaders } from '../http/json-response.ts';
import { decodeCursor } from '../lib/pagination.ts';

const tenantResponse = (description: string) => ({
  description,
  headers: z.object({ ETag: z.string() }),
  content: { 'application/json': { schema: TenantSchema } },
});

const create = createRoute({
  method: 'post',
  path: '/tenants',
  summary: 'Create a tenant (platform key)',
  request: { body: jsonBody(CreateTenantBody) },
  responses: { 201: tenantResponse('Created'), 409: errorResponse('Slug taken'), 422: errorResponse('Idempotency key reused'), ...commonErrors },
});

const list = createRoute({
  method: 'get',
  path: '/tenants',
  summary: 'List tenants (a tenant key sees only its own)',
  request: { query: PaginationQuery.extend({ status: z.enum(['active', 'suspended']).optional() }) },
  responses: { 200: { description: 'A page', content: { 'application/json': { schema: TenantPageSchema } } }, ...commonErrors },
});

const get = createRoute({
  method: 'get',
  path: '/tenants/{tenant}',
  summary: 'Get a tenant',
  request: { params: TenantParam },
  responses: { 200: tenantResponse('The tenant'), ...commonErrors },
});

const update = createRoute({
  method: 'patch',
  path: '/tenants/{tenant}',
  summary: 'Update a tenant (If-Match for optimistic concurrency)',
  request: { params: TenantParam, headers: IfMatchHeader, body: jsonBody(UpdateTenantBody) },
  responses: { 200: tenantResponse('Updated'), 409: errorResponse('Slug taken'), 412: errorResponse('Stale ETag'), ...commonErrors },
});

const lifecycle = (action: 'suspend' | 'resume') =>
  createRoute({
    method: 'post',
    path: `/tenants/{tenant}/${action}`,
    summary: `${action === 'suspend' ? 'Suspend' : 'Resume'} a tenant (platform key)`,
    request: { params: TenantParam, headers: IfMatchHeader },
    responses: { 200: tenantResponse('Done'), 409: errorResponse('Already in that state'), 412: errorResponse('Stale ETag'), ...commonErrors },
  });

const remove = createRoute({
  method: 'delete',
  path: '/tenants/{tenant}',
  summary: 'Delete a tenant (soft; platform key). Its API keys are revoked.',
  request: { params: TenantParam, headers: IfMatchHeader },
  responses: { 204: { description: 'Deleted' }, 412: errorResponse('Stale ETag'), ...commonErrors },
});

export function tenantRoutes(tenants: TenantService) {
  const app = createRouter();
  const withEtag = (t: Tenant) => ({ ETag: etagOf(t) });

  app.openapi(create, async (c) => {
    requirePlatform(c.get('principal'));
    const tenant = await tenants.create(c.req.valid('json'), actorFrom(c));
    c.set('tenantId', tenant.id);
    return jsonWithHeaders(tenantView(tenant), 201, { ...withEtag(tenant), Location: `/admin/v1/tenants/${tenant.id}` });
  });

  app.openapi(list, (c) => {
    const principal = c.get('principal');
    const { cursor, limit, status } = c.req.valid('query');
    if (principal?.kind === 'tenant') {
      const own = tenants.get(principal.tenantId);
      authorizeTenant(principal, own, 'admin');
      // The same filter and cursor as the platform list, over a list of one.
      const after = decodeCursor(cursor);
      const shown = (status === undefined || own.status === status) && (after === undefined || own.id > after);
      return c.json({ data: shown ? [tenantView(own)] : [], next_cursor: null }, 200);
    }
    requirePlatform(principal);
    const page = tenants.list({ cursor, limit, status });
    return c.json({ data: page.data.map(tenantView), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(get, (c) => {
    const tenant = tenants.get(c.req.valid('param').tenant);
    authorizeTenant(c.get('principal'), tenant, 'admin');
    return jsonWithHeaders(tenantView(tenant), 200, withEtag(tenant));
  });

  app.openapi(update, (c) => {
    const ref = c.req.valid('param').tenant;
    authorizeTenant(c.get('principal'), tenants.get(ref), 'admin');
    const updated = tenants.update(ref, c.req.valid('json'), c.req.valid('header')['if-match'], actorFrom(c));
    return jsonWithHeaders(tenantView(updated), 200, withEtag(updated));
  });

  for (const action of ['suspend', 'resume'] as const) {
    app.openapi(lifecycle(action), (c) => {
      const { tenant } = c.req.valid('param');
      const principal = c.get('principal');
      authorizeTenant(principal, tenants.get(tenant), 'admin');
      requirePlatform(principal);
      const ifMatch = c.req.valid('header')['if-match'];
      const updated = action === 'suspend' ? tenants.suspend(tenant, ifMatch, actorFrom(c)) : tenants.resume(tenant, ifMatch, actorFrom(c));
      return jsonWithHeaders(tenantView(updated), 200, withEtag(updated));
    });
  }

  app.openapi(remove, (c) => {
    const ref = c.req.valid('param').tenant;
    const principal = c.get('principal');
    authorizeTenant(principal, tenants.get(ref), 'admin');
    requirePlatform(principal);
    tenants.delete(ref, c.req.valid('header')['if-match'], actorFrom(c));
    return c.body(null, 204);
  });

  return app;
}
