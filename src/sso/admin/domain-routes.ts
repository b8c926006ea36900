import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../../http/router.ts';
import { actorFrom } from '../../http/actor.ts';
import { authorizeTenant } from '../../http/access.ts';
import { TenantParam, commonErrors, errorResponse, jsonBody } from '../../http/schemas.ts';
import type { TenantService } from '../../tenants/service.ts';
import { domainView, type DomainService } from '../domains/service.ts';
import type { SsoSettingsService } from '../settings.ts';
import { CreateDomainBody, DomainSchema, SsoSettingsSchema, UpdateSsoSettingsBody } from './schemas.ts';

const Param = TenantParam.extend({ domain_id: z.string().min(1).max(64) });
const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

const routes = {
  add: createRoute({ method: 'post', path: '/tenants/{tenant}/domains', summary: 'Claim an email domain; publish the returned TXT record, then verify', request: { params: TenantParam, body: jsonBody(CreateDomainBody) }, responses: { 201: json(DomainSchema, 'Added'), 409: errorResponse('Already added'), ...commonErrors } }),
  list: createRoute({ method: 'get', path: '/tenants/{tenant}/domains', summary: "List a tenant's domains", request: { params: TenantParam }, responses: { 200: json(z.object({ data: z.array(DomainSchema) }), 'Domains'), ...commonErrors } }),
  verify: createRoute({ method: 'post', path: '/tenants/{tenant}/domains/{domain_id}/verify', summary: 'Check the DNS TXT record now', request: { params: Param }, responses: { 200: json(DomainSchema, 'Verified'), 409: errorResponse('Verified by another tenant'), 422: errorResponse('DNS answered without the TXT record, or with other values (`domain_not_verified`)'), 503: { ...errorResponse('The DNS lookup itself failed (SERVFAIL, timeout, refused; `dns_unavailable`): nothing was checked or changed, try again after Retry-After'), headers: z.object({ 'Retry-After': z.string() }) }, ...commonErrors } }),
  remove: createRoute({ method: 'delete', path: '/tenants/{tenant}/domains/{domain_id}', summary: 'Remove a domain', request: { params: Param }, responses: { 204: { description: 'Removed' }, ...commonErrors } }),
  getSettings: createRoute({ method: 'get', path: '/tenants/{tenant}/sso-settings', summary: 'SSO settings (just-in-time provisioning)', request: { params: TenantParam }, responses: { 200: json(SsoSettingsSchema, 'Settings'), ...commonErrors } }),
  putSettings: createRoute({ method: 'put', path: '/tenants/{tenant}/sso-settings', summary: 'Change SSO settings', request: { params: TenantParam, body: jsonBody(UpdateSsoSettingsBody) }, responses: { 200: json(SsoSettingsSchema, 'Settings'), ...commonErrors } }),
};

export function domainRoutes(tenants: TenantService, domains: DomainService, settings: SsoSettingsService) {
  const app = createRouter();
  const tenantOf = (c: { get(k: 'principal'): any }, ref: string) => {
    const tenant = tenants.get(ref);
    authorizeTenant(c.get('principal'), tenant, 'admin');
    return tenant;
  };

  app.openapi(routes.add, (c) => {
    const tenant = tenantOf(c, c.req.valid('param').tenant);
    return c.json(domainView(domains.add(tenant.id, c.req.valid('json').domain, actorFrom(c))), 201);
  });
  app.openapi(routes.list, (c) => c.json({ data: domains.list(tenantOf(c, c.req.valid('param').tenant).id).map(domainView) }, 200));
  app.openapi(routes.verify, async (c) => {
    const { tenant, domain_id } = c.req.valid('param');
    return c.json(domainView(await domains.verify(tenantOf(c, tenant).id, domain_id, actorFrom(c))), 200);
  });
  app.openapi(routes.remove, (c) => {
    const { tenant, domain_id } = c.req.valid('param');
    domains.remove(tenantOf(c, tenant).id, domain_id, actorFrom(c));
    return c.body(null, 204);
  });
  app.openapi(routes.getSettings, (c) => c.json(settings.get(tenantOf(c, c.req.valid('param').tenant).id), 200));
  app.openapi(routes.putSettings, (c) => {
    const tenant = tenantOf(c, c.req.valid('param').tenant);
    return c.json(settings.update(tenant.id, c.req.valid('json'), actorFrom(c)), 200);
  });
  return app;
}
