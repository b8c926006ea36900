import { createRoute, type z } from '@hono/zod-openapi';
import { createRouter } from '../../http/router.ts';
import { actorFrom } from '../../http/actor.ts';
import { authorizeTenant } from '../../http/access.ts';
import { notFound } from '../../http/errors.ts';
import { PaginationQuery, TenantParam, commonErrors, errorResponse, jsonBody } from '../../http/schemas.ts';
import type { Services } from '../../services.ts';
import { organizationObject } from '../authz-tuples.ts';
import type { GroupRoleMapping } from '../group.ts';
import { tokenView, type ScimDirectory } from './directory.ts';
import * as S from './admin-schemas.ts';

const ok = <T extends z.ZodType>(schema: T, description = 'OK') => ({ description, content: { 'application/json': { schema } } });

const routes = {
  createDirectory: createRoute({
    method: 'post', path: '/tenants/{tenant}/scim/directories', summary: 'Create a SCIM directory',
    request: { params: TenantParam, body: jsonBody(S.CreateDirectoryBody) }, responses: { 201: ok(S.DirectorySchema, 'Created'), ...commonErrors },
  }),
  listDirectories: createRoute({
    method: 'get', path: '/tenants/{tenant}/scim/directories', summary: "List the tenant's SCIM directories",
    request: { params: TenantParam, query: PaginationQuery }, responses: { 200: ok(S.DirectoryPage), ...commonErrors },
  }),
  getDirectory: createRoute({
    method: 'get', path: '/tenants/{tenant}/scim/directories/{directory}', summary: 'Get a SCIM directory',
    request: { params: S.DirectoryParam }, responses: { 200: ok(S.DirectorySchema), ...commonErrors },
  }),
  deleteDirectory: createRoute({
    method: 'delete', path: '/tenants/{tenant}/scim/directories/{directory}', summary: 'Delete a SCIM directory (its tokens stop working)',
    request: { params: S.DirectoryParam }, responses: { 204: { description: 'Deleted' }, 409: errorResponse('An SSO connection is bound to the directory (`directory_in_use`, the connections in `details.connections`): unbind or delete it first'), ...commonErrors },
  }),
  createToken: createRoute({
    method: 'post', path: '/tenants/{tenant}/scim/directories/{directory}/tokens', summary: 'Create a SCIM token (returned once)',
    request: { params: S.DirectoryParam, body: jsonBody(S.CreateTokenBody) }, responses: { 201: ok(S.CreatedTokenSchema, 'Created'), 422: errorResponse('Idempotency key reused'), ...commonErrors },
  }),
  createDefaultToken: createRoute({
    method: 'post', path: '/tenants/{tenant}/scim/tokens', summary: "Create a SCIM token on the tenant's first directory (created if none)",
    request: { params: TenantParam, body: jsonBody(S.CreateTokenBody) }, responses: { 201: ok(S.CreatedTokenSchema, 'Created'), 422: errorResponse('Idempotency key reused'), ...commonErrors },
  }),
  listTokens: createRoute({
    method: 'get', path: '/tenants/{tenant}/scim/directories/{directory}/tokens', summary: "List a directory's SCIM tokens (never their secrets)",
    request: { params: S.DirectoryParam, query: PaginationQuery }, responses: { 200: ok(S.TokenPage), ...commonErrors },
  }),
  revokeToken: createRoute({
    method: 'delete', path: '/tenants/{tenant}/scim/directories/{directory}/tokens/{token_id}', summary: 'Revoke a SCIM token (idempotent)',
    request: { params: S.TokenParam }, responses: { 200: ok(S.TokenSchema, 'Revoked'), ...commonErrors },
  }),
  listNormalisations: createRoute({
    method: 'get', path: '/tenants/{tenant}/scim/directories/{directory}/normalisations',
    summary: 'What Portcullis normalised in IdP requests (deviations from RFC 7644), newest first',
    request: { params: S.DirectoryParam, query: PaginationQuery }, responses: { 200: ok(S.NormalisationPage), ...commonErrors },
  }),
  createMapping: createRoute({
    method: 'post', path: '/tenants/{tenant}/scim/group-mappings', summary: "Map an IdP group to a relation on the tenant's organization",
    request: { params: TenantParam, body: jsonBody(S.CreateMappingBody) }, responses: { 201: ok(S.MappingSchema, 'Created'), 409: errorResponse('Already mapped'), ...commonErrors },
  }),
  listMappings: createRoute({
    method: 'get', path: '/tenants/{tenant}/scim/group-mappings', summary: 'List group→role mappings',
    request: { params: TenantParam, query: PaginationQuery }, responses: { 200: ok(S.MappingPage), ...commonErrors },
  }),
  deleteMapping: createRoute({
    method: 'delete', path: '/tenants/{tenant}/scim/group-mappings/{mapping_id}', summary: 'Delete a group→role mapping',
    request: { params: S.MappingParam }, responses: { 204: { description: 'Deleted' }, ...commonErrors },
  }),
};

/** `/admin/v1/tenants/{tenant}/scim/…`: directories, tokens, normalisation records, group mappings. */
export function scimAdminRoutes(s: Services) {
  const app = createRouter();
  const dirs = s.scim.directories;
  const tenantOf = (ref: string, c: Parameters<typeof actorFrom>[0]) => {
    const tenant = s.tenants.get(ref);
    authorizeTenant(c.get('principal'), tenant, 'admin');
    return tenant;
  };
  const directoryView = (d: ScimDirectory) => ({ id: d.id, name: d.name, base_url: dirs.baseUrlOf(d.id), created_at: d.created_at });
  const mappingView = (m: GroupRoleMapping) => ({ id: m.id, group_id: m.group_id, relation: m.relation, object: organizationObject(m.tenant_id), created_at: m.created_at });

  app.openapi(routes.createDirectory, (c) => {
    const tenant = tenantOf(c.req.valid('param').tenant, c);
    const d = dirs.createDirectory(tenant.id, c.req.valid('json'), actorFrom(c));
    return c.json(directoryView(d), 201, { Location: `/admin/v1/tenants/${tenant.id}/scim/directories/${d.id}` });
  });
  app.openapi(routes.listDirectories, (c) => {
    const tenant = tenantOf(c.req.valid('param').tenant, c);
    const { cursor, limit } = c.req.valid('query');
    const page = dirs.listDirectories(tenant.id, cursor, limit);
    return c.json({ data: page.data.map(directoryView), next_cursor: page.next_cursor }, 200);
  });
  app.openapi(routes.getDirectory, (c) => {
    const { tenant: ref, directory } = c.req.valid('param');
    return c.json(directoryView(dirs.getDirectory(tenantOf(ref, c).id, directory)), 200);
  });
  app.openapi(routes.deleteDirectory, (c) => {
    const { tenant: ref, directory } = c.req.valid('param');
    dirs.deleteDirectory(tenantOf(ref, c).id, directory, actorFrom(c));
    return c.body(null, 204);
  });
  app.openapi(routes.createToken, (c) => {
    const { tenant: ref, directory } = c.req.valid('param');
    const created = dirs.createToken(tenantOf(ref, c).id, directory, c.req.valid('json'), actorFrom(c));
    return c.json({ ...tokenView(created.token), token: created.secret, base_url: created.base_url }, 201);
  });
  app.openapi(routes.createDefaultToken, (c) => {
    const tenant = tenantOf(c.req.valid('param').tenant, c);
    const directory = dirs.defaultDirectory(tenant.id, actorFrom(c));
    const created = dirs.createToken(tenant.id, directory.id, c.req.valid('json'), actorFrom(c));
    return c.json({ ...tokenView(created.token), token: created.secret, base_url: created.base_url }, 201);
  });
  app.openapi(routes.listTokens, (c) => {
    const { tenant: ref, directory } = c.req.valid('param');
    const { cursor, limit } = c.req.valid('query');
    const page = dirs.listTokens(tenantOf(ref, c).id, directory, cursor, limit);
    return c.json({ data: page.data.map(tokenView), next_cursor: page.next_cursor }, 200);
  });
  app.openapi(routes.revokeToken, (c) => {
    const { tenant: ref, directory, token_id } = c.req.valid('param');
    return c.json(tokenView(dirs.revokeToken(tenantOf(ref, c).id, directory, token_id, actorFrom(c))), 200);
  });
  app.openapi(routes.listNormalisations, (c) => {
    const { tenant: ref, directory } = c.req.valid('param');
    const { cursor, limit } = c.req.valid('query');
    const page = dirs.listNormalisations(tenantOf(ref, c).id, directory, cursor, limit);
    return c.json({ data: page.data.map(({ tenant_id: _t, directory_id: _d, ...r }) => r), next_cursor: page.next_cursor }, 200);
  });
  app.openapi(routes.createMapping, async (c) => {
    const tenant = tenantOf(c.req.valid('param').tenant, c);
    const body = c.req.valid('json');
    let groupId = body.group_id;
    if (groupId === undefined) {
      dirs.getDirectory(tenant.id, body.directory_id as string);
      const group = s.storage.forTenant(tenant.id).directoryGroups.findByDisplayName(body.directory_id as string, body.group_display_name as string);
      if (!group) throw notFound('group');
      groupId = group.id;
    }
    const staged = s.scim.mappings.create(tenant.id, tenant.authz_store_id, { group_id: groupId, relation: body.relation }, actorFrom(c));
    await staged.flush();
    return c.json(mappingView(staged.staged), 201);
  });
  app.openapi(routes.listMappings, (c) => {
    const tenant = tenantOf(c.req.valid('param').tenant, c);
    const { cursor, limit } = c.req.valid('query');
    const page = s.scim.mappings.list(tenant.id, cursor, limit);
    return c.json({ data: page.data.map(mappingView), next_cursor: page.next_cursor }, 200);
  });
  app.openapi(routes.deleteMapping, async (c) => {
    const { tenant: ref, mapping_id } = c.req.valid('param');
    const tenant = tenantOf(ref, c);
    await s.scim.mappings.delete(tenant.id, tenant.authz_store_id, mapping_id, actorFrom(c)).flush();
    return c.body(null, 204);
  });
  return app;
}
