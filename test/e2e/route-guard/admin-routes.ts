import type { RouteKey } from './inventory.ts';
import type { GuardedRoute } from './families.ts';
import type { Fixture } from './fixture.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

const idp = new TestSamlIdp();
const admin = (r: Omit<GuardedRoute, 'family'>): GuardedRoute => ({ family: 'admin', ...r });
/**
 * The tenant lifecycle routes act on the spare tenant V, which the positive control suspends,
 * resumes and deletes. They are platform operations: V's own key, with every scope, gets 403.
 */
const onSpareTenant = {
  params: (f: Fixture) => ({ tenant: f.victims.tenant }),
  platformOnly: true,
  scope: { status: 403, code: 'platform_key_required', why: "a platform operation: the tenant's own key with every scope is refused", credential: (f: Fixture) => f.api.spare.tenant },
} as const;

/** `/admin/v1`: platform keys, or tenant keys (another tenant's key gets 404 `not_found`, before any scope check). */
export const ADMIN_GUARDED: Record<RouteKey, GuardedRoute> = {
  'POST /admin/v1/tenants': admin({
    body: () => ({ name: 'Fresh Co' }),
    platformOnly: true,
    foreign: { status: 403, code: 'platform_key_required', why: 'names no tenant: creating tenants is a platform operation, refused to every tenant key' },
    scope: { status: 403, code: 'platform_key_required', why: 'a platform operation: a tenant key with every scope is refused', credential: (f) => f.api.owner },
    ok: 201,
  }),
  'GET /admin/v1/tenants': admin({
    foreign: { status: 200, code: null, why: "names no tenant: a tenant key lists its own tenant only", hides: (f) => [f.a.id] },
    ok: 200,
  }),
  'GET /admin/v1/tenants/:tenant': admin({ ok: 200 }),
  'PATCH /admin/v1/tenants/:tenant': admin({ body: () => ({ name: 'Guard A renamed' }), ok: 200 }),
  'POST /admin/v1/tenants/:tenant/suspend': admin({ ...onSpareTenant, ok: 200 }),
  'POST /admin/v1/tenants/:tenant/resume': admin({
    ...onSpareTenant,
    prepare: async (h, f) => void (await h.json('POST', `/admin/v1/tenants/${f.victims.tenant}/suspend`)),
    ok: 200,
  }),
  'DELETE /admin/v1/tenants/:tenant': admin({ ...onSpareTenant, ok: 204 }),

  'POST /admin/v1/tenants/:tenant/api-keys': admin({ body: () => ({ name: 'new', scopes: ['authz:read'] }), ok: 201 }),
  'GET /admin/v1/tenants/:tenant/api-keys': admin({ ok: 200 }),
  'GET /admin/v1/tenants/:tenant/api-keys/:key_id': admin({ ok: 200 }),
  'DELETE /admin/v1/tenants/:tenant/api-keys/:key_id': admin({ ok: 200 }),

  'GET /admin/v1/tenants/:tenant/audit': admin({ ok: 200 }),
  'GET /admin/v1/tenants/:tenant/audit/export': admin({ ok: 200 }),
  'GET /admin/v1/tenants/:tenant/audit/verify': admin({ ok: 200 }),

  'POST /admin/v1/tenants/:tenant/apps': admin({ body: () => ({ name: 'new', grant_types: ['client_credentials'] }), ok: 201 }),
  'GET /admin/v1/tenants/:tenant/apps': admin({ ok: 200 }),
  'GET /admin/v1/tenants/:tenant/apps/:app_id': admin({ ok: 200 }),
  'PATCH /admin/v1/tenants/:tenant/apps/:app_id': admin({ body: () => ({ name: 'backend renamed' }), ok: 200 }),
  'POST /admin/v1/tenants/:tenant/apps/:app_id/rotate-secret': admin({ ok: 200 }),
  'DELETE /admin/v1/tenants/:tenant/apps/:app_id': admin({ params: (f) => ({ app_id: f.victims.app }), ok: 204 }),

  'POST /admin/v1/tenants/:tenant/connections': admin({ body: () => ({ name: 'New', protocol: 'saml', saml: { metadata_xml: idp.metadataXml() } }), ok: 201 }),
  'GET /admin/v1/tenants/:tenant/connections': admin({ ok: 200 }),
  'GET /admin/v1/tenants/:tenant/connections/:connection_id': admin({ ok: 200 }),
  'PATCH /admin/v1/tenants/:tenant/connections/:connection_id': admin({ body: () => ({ name: 'Okta renamed' }), ok: 200 }),
  'DELETE /admin/v1/tenants/:tenant/connections/:connection_id': admin({ params: (f) => ({ connection_id: f.victims.connection }), ok: 204 }),
  // The fixture's connection has inline metadata (no network in tests): the handler's own refusal shows the ids resolved.
  'POST /admin/v1/tenants/:tenant/connections/:connection_id/refresh-metadata': admin({ ok: 400, okCode: 'no_metadata_url' }),
  'POST /admin/v1/tenants/:tenant/connections/:connection_id/revoke-sessions': admin({ ok: 200 }),
  'POST /admin/v1/tenants/:tenant/connections/:connection_id/sp-certificates': admin({ ok: 201 }),
  'POST /admin/v1/tenants/:tenant/connections/:connection_id/sp-certificates/activate': admin({ ok: 200 }),
  'DELETE /admin/v1/tenants/:tenant/connections/:connection_id/sp-certificates/:which': admin({ ok: 200 }),
  'POST /admin/v1/tenants/:tenant/connections/:connection_id/test-login': admin({ ok: 201 }),

  'POST /admin/v1/tenants/:tenant/domains': admin({ body: () => ({ domain: 'new.guard-a.test' }), ok: 201 }),
  'GET /admin/v1/tenants/:tenant/domains': admin({ ok: 200 }),
  'POST /admin/v1/tenants/:tenant/domains/:domain_id/verify': admin({ ok: 200 }),
  'DELETE /admin/v1/tenants/:tenant/domains/:domain_id': admin({ params: (f) => ({ domain_id: f.victims.domain }), ok: 204 }),
  'GET /admin/v1/tenants/:tenant/sso-settings': admin({ ok: 200 }),
  'PUT /admin/v1/tenants/:tenant/sso-settings': admin({ body: () => ({ jit_provisioning: true }), ok: 200 }),

  'POST /admin/v1/tenants/:tenant/scim/directories': admin({ body: () => ({ name: 'New' }), ok: 201 }),
  'GET /admin/v1/tenants/:tenant/scim/directories': admin({ ok: 200 }),
  'GET /admin/v1/tenants/:tenant/scim/directories/:directory': admin({ ok: 200 }),
  'DELETE /admin/v1/tenants/:tenant/scim/directories/:directory': admin({ params: (f) => ({ directory: f.victims.directory }), ok: 204 }),
  'POST /admin/v1/tenants/:tenant/scim/directories/:directory/tokens': admin({ body: () => ({ name: 'new' }), ok: 201 }),
  'POST /admin/v1/tenants/:tenant/scim/tokens': admin({ body: () => ({ name: 'new' }), ok: 201 }),
  'GET /admin/v1/tenants/:tenant/scim/directories/:directory/tokens': admin({ ok: 200 }),
  'DELETE /admin/v1/tenants/:tenant/scim/directories/:directory/tokens/:token_id': admin({ ok: 200 }),
  'GET /admin/v1/tenants/:tenant/scim/directories/:directory/normalisations': admin({ ok: 200 }),
  'POST /admin/v1/tenants/:tenant/scim/group-mappings': admin({ body: (f) => ({ group_id: f.victims.group, relation: 'viewer' }), ok: 201 }),
  'GET /admin/v1/tenants/:tenant/scim/group-mappings': admin({ ok: 200 }),
  'DELETE /admin/v1/tenants/:tenant/scim/group-mappings/:mapping_id': admin({ ok: 204 }),
};
