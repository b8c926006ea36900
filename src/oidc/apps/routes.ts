import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../../http/router.ts';
import { actorFrom } from '../../http/actor.ts';
import { authorizeTenant } from '../../http/access.ts';
import { forbidden } from '../../http/errors.ts';
import { PaginationQuery, TenantParam, commonErrors, errorResponse, jsonBody, pageOf } from '../../http/schemas.ts';
import { IfMatchHeader } from '../../tenants/schemas.ts';
import type { TenantService } from '../../tenants/service.ts';
import { APP_AUTHZ_SCOPES } from '../constants.ts';
import { APP_AUTH_METHODS, APP_GRANT_TYPES, appEtag, appView } from './app.ts';
import type { AppService } from './service.ts';
import { jsonWithHeaders } from '../../http/json-response.ts';

const Uri = z.string().min(1).max(2000);
const AppSchema = z
  .object({
    id: z.string(),
    client_id: z.string(),
    tenant_id: z.string(),
    name: z.string(),
    token_endpoint_auth_method: z.enum(APP_AUTH_METHODS),
    grant_types: z.array(z.enum(APP_GRANT_TYPES)),
    authz_scopes: z.array(z.enum(APP_AUTHZ_SCOPES)),
    multi_tenant: z.boolean(),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    backchannel_logout_uri: z.string().nullable(),
    initiate_login_uri: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('App');
const CreatedAppSchema = AppSchema.extend({
  client_secret: z.string().nullable().openapi({ description: 'Shown once (null for public clients).' }),
}).openapi('CreatedApp');

const mutable = {
  name: z.string().trim().min(1).max(200),
  grant_types: z.array(z.enum(APP_GRANT_TYPES)).min(1).max(3),
  authz_scopes: z.array(z.enum(APP_AUTHZ_SCOPES)).max(3),
  redirect_uris: z.array(Uri).max(20),
  post_logout_redirect_uris: z.array(Uri).max(20),
  backchannel_logout_uri: Uri.nullable(),
  initiate_login_uri: Uri.nullable(),
};
const CreateAppBody = z
  .strictObject({
    ...mutable,
    token_endpoint_auth_method: z.enum(APP_AUTH_METHODS).optional(),
    multi_tenant: z.boolean().optional().openapi({ description: 'Platform key only: users of any tenant may sign in.' }),
    authz_scopes: mutable.authz_scopes.optional(),
    redirect_uris: mutable.redirect_uris.optional(),
    post_logout_redirect_uris: mutable.post_logout_redirect_uris.optional(),
    backchannel_logout_uri: mutable.backchannel_logout_uri.optional(),
    initiate_login_uri: mutable.initiate_login_uri.optional(),
  })
  .openapi('CreateApp');
const UpdateAppBody = z.strictObject(mutable).partial().openapi('UpdateApp');
const AppParam = TenantParam.extend({ app_id: z.string().min(1).max(64) });
const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

const routes = {
  create: createRoute({
    method: 'post',
    path: '/tenants/{tenant}/apps',
    summary: 'Register an app (OIDC client); the client secret is returned once',
    request: { params: TenantParam, body: jsonBody(CreateAppBody) },
    responses: { 201: json(CreatedAppSchema, 'Created'), 422: errorResponse('Idempotency key reused'), ...commonErrors },
  }),
  list: createRoute({
    method: 'get',
    path: '/tenants/{tenant}/apps',
    summary: "List a tenant's apps",
    request: { params: TenantParam, query: PaginationQuery },
    responses: { 200: json(pageOf(AppSchema, 'AppPage'), 'A page'), ...commonErrors },
  }),
  get: createRoute({
    method: 'get',
    path: '/tenants/{tenant}/apps/{app_id}',
    summary: 'Get an app',
    request: { params: AppParam },
    responses: { 200: json(AppSchema, 'The app'), ...commonErrors },
  }),
  update: createRoute({
    method: 'patch',
    path: '/tenants/{tenant}/apps/{app_id}',
    summary: 'Change an app (If-Match for optimistic concurrency)',
    request: { params: AppParam, headers: IfMatchHeader, body: jsonBody(UpdateAppBody) },
    responses: { 200: json(AppSchema, 'Updated'), 412: errorResponse('Stale ETag'), ...commonErrors },
  }),
  rotate: createRoute({
    method: 'post',
    path: '/tenants/{tenant}/apps/{app_id}/rotate-secret',
    summary: 'Replace the client secret (the new one is returned once; the old one stops working)',
    request: { params: AppParam },
    responses: { 200: json(CreatedAppSchema, 'Rotated'), ...commonErrors },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/tenants/{tenant}/apps/{app_id}',
    summary: 'Delete an app and revoke every token issued to it',
    request: { params: AppParam },
    responses: { 204: { description: 'Deleted' }, ...commonErrors },
  }),
};

export function appRoutes(tenants: TenantService, apps: AppService) {
  const app = createRouter();
  const tenantOf = (c: { get(k: 'principal'): any }, ref: string) => {
    const tenant = tenants.get(ref);
    authorizeTenant(c.get('principal'), tenant, 'admin');
    return tenant;
  };
  /** The app that serves every tenant is the platform's: a tenant's admin may read it, not change it. */
  const changeable = (c: { get(k: 'principal'): any }, tenantId: string, appId: string) => {
    if (apps.get(tenantId, appId).multi_tenant && c.get('principal')?.kind !== 'platform') {
      throw forbidden('platform_key_required', 'Only a platform key may change a multi-tenant app.');
    }
  };

  app.openapi(routes.create, (c) => {
    const tenant = tenantOf(c, c.req.valid('param').tenant);
    const body = c.req.valid('json');
    if (body.multi_tenant && c.get('principal')?.kind !== 'platform') {
      throw forbidden('platform_key_required', 'Only a platform key may register a multi-tenant app.');
    }
    const created = apps.create(tenant.id, body, actorFrom(c));
    return jsonWithHeaders({ ...appView(created.app), client_secret: created.client_secret }, 201, {
      Location: `/admin/v1/tenants/${tenant.id}/apps/${created.app.id}`,
      ETag: appEtag(created.app),
    });
  });

  app.openapi(routes.list, (c) => {
    const tenant = tenantOf(c, c.req.valid('param').tenant);
    const { cursor, limit } = c.req.valid('query');
    const page = apps.list(tenant.id, cursor, limit);
    return c.json({ data: page.data.map(appView), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(routes.get, (c) => {
    const { tenant: ref, app_id } = c.req.valid('param');
    const found = apps.get(tenantOf(c, ref).id, app_id);
    return jsonWithHeaders(appView(found), 200, { ETag: appEtag(found) });
  });

  app.openapi(routes.update, (c) => {
    const { tenant: ref, app_id } = c.req.valid('param');
    const tenant = tenantOf(c, ref);
    changeable(c, tenant.id, app_id);
    const updated = apps.update(tenant.id, app_id, c.req.valid('json'), c.req.valid('header')['if-match'], actorFrom(c));
    return jsonWithHeaders(appView(updated), 200, { ETag: appEtag(updated) });
  });

  app.openapi(routes.rotate, (c) => {
    const { tenant: ref, app_id } = c.req.valid('param');
    const tenant = tenantOf(c, ref);
    changeable(c, tenant.id, app_id);
    const rotated = apps.rotateSecret(tenant.id, app_id, actorFrom(c));
    return c.json({ ...appView(rotated.app), client_secret: rotated.client_secret }, 200);
  });

  app.openapi(routes.remove, (c) => {
    const { tenant: ref, app_id } = c.req.valid('param');
    const tenant = tenantOf(c, ref);
    changeable(c, tenant.id, app_id);
    apps.delete(tenant.id, app_id, actorFrom(c));
    return c.body(null, 204);
  });

  return app;
}
