import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../http/router.ts';
import { actorFrom } from '../http/actor.ts';
import { authorizeTenant } from '../http/access.ts';
import { PaginationQuery, TenantParam, commonErrors, errorResponse, jsonBody, pageOf } from '../http/schemas.ts';
import type { TenantService } from '../tenants/service.ts';
import { apiKeyView } from './api-key.ts';
import { SCOPES } from './scopes.ts';
import type { ApiKeyService } from './service.ts';

const ApiKeySchema = z
  .object({
    id: z.string(),
    tenant_id: z.string().nullable(),
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiKey');

const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: 'The secret key. Shown once: store it now.' }),
}).openapi('CreatedApiKey');

const CreateApiKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length),
  })
  .openapi('CreateApiKey');

const KeyParam = TenantParam.extend({ key_id: z.string().min(1).max(64) });

const create = createRoute({
  method: 'post',
  path: '/tenants/{tenant}/api-keys',
  summary: 'Create a tenant API key (the secret is returned once)',
  request: { params: TenantParam, body: jsonBody(CreateApiKeyBody) },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: CreatedApiKeySchema } } },
    422: errorResponse('Idempotency key reused'),
    ...commonErrors,
  },
});

const list = createRoute({
  method: 'get',
  path: '/tenants/{tenant}/api-keys',
  summary: 'List a tenant\'s API keys (secrets are never returned)',
  request: { params: TenantParam, query: PaginationQuery },
  responses: {
    200: { description: 'A page', content: { 'application/json': { schema: pageOf(ApiKeySchema, 'ApiKeyPage') } } },
    ...commonErrors,
  },
});

const get = createRoute({
  method: 'get',
  path: '/tenants/{tenant}/api-keys/{key_id}',
  summary: 'Get an API key',
  request: { params: KeyParam },
  responses: { 200: { description: 'The key', content: { 'application/json': { schema: ApiKeySchema } } }, ...commonErrors },
});

const revoke = createRoute({
  method: 'delete',
  path: '/tenants/{tenant}/api-keys/{key_id}',
  summary: 'Revoke an API key (idempotent)',
  request: { params: KeyParam },
  responses: { 200: { description: 'Revoked', content: { 'application/json': { schema: ApiKeySchema } } }, ...commonErrors },
});

export function apiKeyRoutes(tenants: TenantService, apiKeys: ApiKeyService) {
  const app = createRouter();

  app.openapi(create, (c) => {
    const tenant = tenants.get(c.req.valid('param').tenant);
    authorizeTenant(c.get('principal'), tenant, 'admin');
    const created = apiKeys.createTenantKey(tenant.id, c.req.valid('json'), actorFrom(c));
    return c.json({ ...apiKeyView(created.apiKey), key: created.key }, 201, {
      Location: `/admin/v1/tenants/${tenant.id}/api-keys/${created.apiKey.id}`,
    });
  });

  app.openapi(list, (c) => {
    const tenant = tenants.get(c.req.valid('param').tenant);
    authorizeTenant(c.get('principal'), tenant, 'admin');
    const { cursor, limit } = c.req.valid('query');
    const page = apiKeys.list(tenant.id, cursor, limit);
    return c.json({ data: page.data.map(apiKeyView), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(get, (c) => {
    const { tenant: ref, key_id } = c.req.valid('param');
    const tenant = tenants.get(ref);
    authorizeTenant(c.get('principal'), tenant, 'admin');
    return c.json(apiKeyView(apiKeys.get(tenant.id, key_id)), 200);
  });

  app.openapi(revoke, (c) => {
    const { tenant: ref, key_id } = c.req.valid('param');
    const tenant = tenants.get(ref);
    authorizeTenant(c.get('principal'), tenant, 'admin');
    return c.json(apiKeyView(apiKeys.revokeTenantKey(tenant.id, key_id, actorFrom(c))), 200);
  });

  return app;
}
