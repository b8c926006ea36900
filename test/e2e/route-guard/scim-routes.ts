import { BULK_REQUEST, GROUP_SCHEMA, PATCH_OP, USER_SCHEMA } from '../../../src/directory/scim/schema/urns.ts';
import type { RouteKey } from './inventory.ts';
import type { GuardedRoute } from './families.ts';

const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
const scim = (r: Omit<GuardedRoute, 'family'>): GuardedRoute => ({ family: 'scim', ...r });
const NOT_ALLOWED = 'answers 405: RFC 7644 §3.2 lists the methods each endpoint takes; the others are refused (after authentication)';

/** The 405 answers for methods an endpoint does not take; a token is still required before saying so. */
function notAllowed(path: string, methods: string[], params?: GuardedRoute['params']): Record<RouteKey, GuardedRoute> {
  return Object.fromEntries(methods.map((m) => [`${m} /scim/v2/:directory/${path}`, scim({ ok: 405, undocumented: NOT_ALLOWED, ...(params ? { params } : {}) })]));
}

const resourceType = () => ({ id: 'User' });
const userSchema = () => ({ id: USER_SCHEMA });

/** `/scim/v2/{directory}`: a SCIM token of that directory (another directory's token, any tenant's, gets 404). */
export const SCIM_GUARDED: Record<RouteKey, GuardedRoute> = {
  'GET /scim/v2/:directory/ServiceProviderConfig': scim({ ok: 200 }),
  'GET /scim/v2/:directory/ResourceTypes': scim({ ok: 200 }),
  'GET /scim/v2/:directory/ResourceTypes/:id': scim({ params: resourceType, ok: 200 }),
  'GET /scim/v2/:directory/Schemas': scim({ ok: 200 }),
  'GET /scim/v2/:directory/Schemas/:id': scim({ params: userSchema, ok: 200 }),
  ...notAllowed('ServiceProviderConfig', ['POST', 'PUT', 'PATCH', 'DELETE']),
  ...notAllowed('ResourceTypes', ['POST', 'PUT', 'PATCH', 'DELETE']),
  ...notAllowed('ResourceTypes/:id', ['POST', 'PUT', 'PATCH', 'DELETE'], resourceType),
  ...notAllowed('Schemas', ['POST', 'PUT', 'PATCH', 'DELETE']),
  ...notAllowed('Schemas/:id', ['POST', 'PUT', 'PATCH', 'DELETE'], userSchema),

  'GET /scim/v2/:directory/Users': scim({ ok: 200 }),
  'POST /scim/v2/:directory/Users/.search': scim({ body: () => ({ schemas: [SEARCH_REQUEST], filter: 'userName eq "ada@guard-a.test"' }), ok: 200 }),
  'POST /scim/v2/:directory/Users': scim({ body: () => ({ schemas: [USER_SCHEMA], userName: 'new@guard-a.test' }), ok: 201 }),
  'GET /scim/v2/:directory/Users/:id': scim({ params: (f) => ({ id: f.user.id }), ok: 200 }),
  'PUT /scim/v2/:directory/Users/:id': scim({
    params: (f) => ({ id: f.user.id }),
    body: () => ({ schemas: [USER_SCHEMA], userName: 'ada@guard-a.test', externalId: 'ada', active: true, displayName: 'Ada' }),
    ok: 200,
  }),
  'PATCH /scim/v2/:directory/Users/:id': scim({
    params: (f) => ({ id: f.user.id }),
    body: () => ({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Ada L.' }] }),
    ok: 200,
  }),
  'DELETE /scim/v2/:directory/Users/:id': scim({ params: (f) => ({ id: f.victims.user }), ok: 204 }),
  ...notAllowed('Users', ['PUT', 'PATCH', 'DELETE']),

  'GET /scim/v2/:directory/Groups': scim({ ok: 200 }),
  'POST /scim/v2/:directory/Groups/.search': scim({ body: () => ({ schemas: [SEARCH_REQUEST], filter: 'displayName eq "Engineering"' }), ok: 200 }),
  'POST /scim/v2/:directory/Groups': scim({ body: () => ({ schemas: [GROUP_SCHEMA], displayName: 'New group' }), ok: 201 }),
  'GET /scim/v2/:directory/Groups/:id': scim({ params: (f) => ({ id: f.group.id }), ok: 200 }),
  'PUT /scim/v2/:directory/Groups/:id': scim({
    params: (f) => ({ id: f.group.id }),
    body: (f) => ({ schemas: [GROUP_SCHEMA], displayName: 'Engineering', members: [{ value: f.user.id }] }),
    ok: 200,
  }),
  'PATCH /scim/v2/:directory/Groups/:id': scim({
    params: (f) => ({ id: f.group.id }),
    body: (f) => ({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: f.user.id }] }] }),
    ok: 204,
  }),
  'DELETE /scim/v2/:directory/Groups/:id': scim({ params: (f) => ({ id: f.victims.group }), ok: 204 }),
  ...notAllowed('Groups', ['PUT', 'PATCH', 'DELETE']),

  'POST /scim/v2/:directory/Bulk': scim({
    body: () => ({
      schemas: [BULK_REQUEST],
      Operations: [{ method: 'POST', path: '/Users', bulkId: 'b1', data: { schemas: [USER_SCHEMA], userName: 'bulk@guard-a.test' } }],
    }),
    ok: 200,
  }),
  ...notAllowed('Bulk', ['GET', 'PUT', 'PATCH', 'DELETE']),
  'POST /scim/v2/:directory/.search': scim({
    ok: 501,
    undocumented: 'answers 501: searching several resource types at once (RFC 7644 §3.4.3) is not supported; a token is required first',
  }),
};
