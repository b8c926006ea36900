import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../../http/router.ts';
import { actorFrom } from '../../http/actor.ts';
import { authorizeTenant } from '../../http/access.ts';
import { PaginationQuery, TenantParam, commonErrors, errorResponse, jsonBody, pageOf } from '../../http/schemas.ts';
import { IfMatchHeader } from '../../tenants/schemas.ts';
import type { TenantService } from '../../tenants/service.ts';
import { connectionEtag } from '../connections/connection.ts';
import type { ConnectionService } from '../connections/service.ts';
import type { LoginService } from '../login/service.ts';
import { LOGIN_STATE_TTL_MS } from '../login/deps.ts';
import { ConnectionSchema, CreateConnectionBody, RevokedSessionsSchema, TestLoginSchema, UpdateConnectionBody } from './schemas.ts';
import { jsonWithHeaders } from '../../http/json-response.ts';
import { badGateway, unprocessable } from '../../http/errors.ts';
import { UpstreamOidcError } from '../oidc/upstream.ts';
import { LoginFailure } from '../login/failures.ts';

const Param = TenantParam.extend({ connection_id: z.string().min(1).max(64) });
const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
const path = '/tenants/{tenant}/connections';

const routes = {
  create: createRoute({ method: 'post', path, summary: 'Add an IdP connection (SAML or OIDC); starts in `testing`', request: { params: TenantParam, body: jsonBody(CreateConnectionBody) }, responses: { 201: json(ConnectionSchema, 'Created'), 422: errorResponse('Idempotency key reused'), ...commonErrors } }),
  list: createRoute({ method: 'get', path, summary: "List a tenant's connections", request: { params: TenantParam, query: PaginationQuery }, responses: { 200: json(pageOf(ConnectionSchema, 'ConnectionPage'), 'A page'), ...commonErrors } }),
  get: createRoute({ method: 'get', path: `${path}/{connection_id}`, summary: 'Get a connection (with SP details for the IdP admin and the last test result)', request: { params: Param }, responses: { 200: json(ConnectionSchema, 'The connection'), ...commonErrors } }),
  update: createRoute({ method: 'patch', path: `${path}/{connection_id}`, summary: 'Change a connection (status testing → active, mappings, IdP settings)', request: { params: Param, headers: IfMatchHeader, body: jsonBody(UpdateConnectionBody) }, responses: { 200: json(ConnectionSchema, 'Updated'), 412: errorResponse('Stale ETag'), ...commonErrors } }),
  remove: createRoute({ method: 'delete', path: `${path}/{connection_id}`, summary: 'Delete a connection', request: { params: Param }, responses: { 204: { description: 'Deleted' }, ...commonErrors } }),
  refresh: createRoute({ method: 'post', path: `${path}/{connection_id}/refresh-metadata`, summary: 'Re-fetch the IdP metadata URL now', request: { params: Param }, responses: { 200: json(ConnectionSchema, 'Refreshed'), 502: errorResponse('The metadata URL could not be fetched, or did not hold usable metadata (`idp_metadata_unavailable`, the reason in `details.reason`): the IdP settings are unchanged; the attempt is recorded in `saml.metadata_error` and `saml.metadata_refreshed_at`'), ...commonErrors } }),
  revokeSessions: createRoute({ method: 'post', path: `${path}/{connection_id}/revoke-sessions`, summary: 'Sign out everyone who signed in through this connection (sessions with back-channel logout, their grants, refresh and access tokens); the connection stays as it is', request: { params: Param }, responses: { 200: json(RevokedSessionsSchema, 'Signed out'), ...commonErrors } }),
  stageSp: createRoute({ method: 'post', path: `${path}/{connection_id}/sp-certificates`, summary: 'SAML: stage a new SP certificate (published in SP metadata beside the current one; activate it once the IdP has the new metadata)', request: { params: Param, headers: IfMatchHeader }, responses: { 201: json(ConnectionSchema, 'Staged'), 409: errorResponse('A new certificate is already staged (`sp_certificate_pending`)'), 412: errorResponse('Stale ETag'), ...commonErrors } }),
  activateSp: createRoute({ method: 'post', path: `${path}/{connection_id}/sp-certificates/activate`, summary: 'SAML: sign with the staged SP certificate; the replaced one stays accepted for decryption until retired', request: { params: Param, headers: IfMatchHeader }, responses: { 200: json(ConnectionSchema, 'Activated'), 409: errorResponse('Nothing staged (`no_pending_sp_certificate`) or a previous certificate not yet retired (`sp_certificate_previous_exists`)'), 412: errorResponse('Stale ETag'), ...commonErrors } }),
  retireSp: createRoute({ method: 'delete', path: `${path}/{connection_id}/sp-certificates/{which}`, summary: 'SAML: retire the previous SP certificate (no longer accepted for decryption) or discard the staged one', request: { params: Param.extend({ which: z.enum(['pending', 'previous']) }), headers: IfMatchHeader }, responses: { 200: json(ConnectionSchema, 'Retired'), 412: errorResponse('Stale ETag'), ...commonErrors } }),
  test: createRoute({ method: 'post', path: `${path}/{connection_id}/test-login`, summary: 'Start an admin test login: open the returned URL; the result page shows what the IdP sent', request: { params: Param }, responses: { 201: json(TestLoginSchema, 'Test login started'), 422: errorResponse("The upstream OIDC IdP's discovery document could not be read (`idp_unreachable`), or the SAML IdP's metadata is past its `validUntil` (`saml_metadata_expired`, recorded as the failed test in `last_test`)"), ...commonErrors } }),
};

export function connectionRoutes(tenants: TenantService, connections: ConnectionService, login: LoginService) {
  const app = createRouter();
  const tenantOf = (c: { get(k: 'principal'): any }, ref: string) => {
    const tenant = tenants.get(ref);
    authorizeTenant(c.get('principal'), tenant, 'admin');
    return tenant;
  };

  app.openapi(routes.create, async (c) => {
    const tenant = tenantOf(c, c.req.valid('param').tenant);
    const created = await connections.create(tenant.id, c.req.valid('json'), actorFrom(c));
    return jsonWithHeaders(connections.view(created), 201, { Location: `/admin/v1/tenants/${tenant.id}/connections/${created.id}`, ETag: connectionEtag(created) });
  });

  app.openapi(routes.list, (c) => {
    const tenant = tenantOf(c, c.req.valid('param').tenant);
    const { cursor, limit } = c.req.valid('query');
    const page = connections.list(tenant.id, cursor, limit);
    return c.json({ data: page.data.map((x) => connections.view(x)), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(routes.get, (c) => {
    const { tenant, connection_id } = c.req.valid('param');
    const found = connections.get(tenantOf(c, tenant).id, connection_id);
    return jsonWithHeaders(connections.view(found), 200, { ETag: connectionEtag(found) });
  });

  app.openapi(routes.update, async (c) => {
    const { tenant, connection_id } = c.req.valid('param');
    const updated = await connections.update(tenantOf(c, tenant).id, connection_id, c.req.valid('json'), c.req.valid('header')['if-match'], actorFrom(c));
    return jsonWithHeaders(connections.view(updated), 200, { ETag: connectionEtag(updated) });
  });

  app.openapi(routes.remove, async (c) => {
    const { tenant, connection_id } = c.req.valid('param');
    await connections.delete(tenantOf(c, tenant).id, connection_id, actorFrom(c));
    return c.body(null, 204);
  });

  app.openapi(routes.refresh, async (c) => {
    const { tenant, connection_id } = c.req.valid('param');
    const { connection, error } = await connections.refreshMetadata(tenantOf(c, tenant).id, connection_id, actorFrom(c));
    if (error !== null) {
      throw badGateway('idp_metadata_unavailable', `The IdP metadata could not be refreshed: ${error} The connection keeps its current IdP settings.`, { reason: error }, { ETag: connectionEtag(connection) });
    }
    return jsonWithHeaders(connections.view(connection), 200, { ETag: connectionEtag(connection) });
  });

  app.openapi(routes.revokeSessions, async (c) => {
    const { tenant, connection_id } = c.req.valid('param');
    return c.json({ sessions_revoked: await connections.revokeSessions(tenantOf(c, tenant).id, connection_id, actorFrom(c)) }, 200);
  });

  app.openapi(routes.stageSp, (c) => {
    const { tenant, connection_id } = c.req.valid('param');
    const staged = connections.spCertificates.stage(tenantOf(c, tenant).id, connection_id, c.req.valid('header')['if-match'], actorFrom(c));
    return jsonWithHeaders(connections.view(staged), 201, { ETag: connectionEtag(staged) });
  });

  app.openapi(routes.activateSp, (c) => {
    const { tenant, connection_id } = c.req.valid('param');
    const activated = connections.spCertificates.activate(tenantOf(c, tenant).id, connection_id, c.req.valid('header')['if-match'], actorFrom(c));
    return jsonWithHeaders(connections.view(activated), 200, { ETag: connectionEtag(activated) });
  });

  app.openapi(routes.retireSp, (c) => {
    const { tenant, connection_id, which } = c.req.valid('param');
    const retired = connections.spCertificates.retire(tenantOf(c, tenant).id, connection_id, which, c.req.valid('header')['if-match'], actorFrom(c));
    return jsonWithHeaders(connections.view(retired), 200, { ETag: connectionEtag(retired) });
  });

  app.openapi(routes.test, async (c) => {
    const { tenant, connection_id } = c.req.valid('param');
    const connection = connections.get(tenantOf(c, tenant).id, connection_id);
    let url: string;
    try {
      url = await login.begin({ connection, purpose: 'test', interactionUid: null });
    } catch (err) {
      // Said to the admin (it is their IdP): a valid request the IdP cannot serve right now.
      if (err instanceof UpstreamOidcError) throw unprocessable('idp_unreachable', `The IdP could not be used: ${err.message.slice(0, 300)}`);
      if (err instanceof LoginFailure) {
        login.recordRefusedTest(connection, err, actorFrom(c));
        throw unprocessable(err.reason, `The connection cannot sign anyone in: ${err.detail.slice(0, 500)}`);
      }
      throw err;
    }
    return c.json({ url, expires_at: new Date(Date.now() + LOGIN_STATE_TTL_MS).toISOString() }, 201);
  });

  return app;
}
