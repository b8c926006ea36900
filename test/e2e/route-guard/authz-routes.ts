import type { RouteKey } from './inventory.ts';
import type { GuardedRoute } from './families.ts';
import type { Fixture } from './fixture.ts';

const authz = (r: Omit<GuardedRoute, 'family'>): GuardedRoute => ({ family: 'authz', ...r });
const member = (f: Fixture) => ({ user: 'user:anne', relation: 'member', object: `organization:${f.a.id}` });
const modelId = (f: Fixture) => ({ id: f.model.id });

/**
 * `/stores`: API keys with `authz:*` scopes, or client-credentials access tokens (checked over
 * HTTP in stores-over-http.test.ts). Another tenant's store answers exactly like a missing one.
 */
export const AUTHZ_GUARDED: Record<RouteKey, GuardedRoute> = {
  'POST /stores': authz({
    body: () => ({ name: 'fresh' }),
    platformOnly: true,
    foreign: { status: 403, code: 'forbidden', why: 'names no store: creating a store creates a tenant, a platform operation refused to every tenant credential' },
    scope: { status: 403, code: 'forbidden', why: 'a platform operation: a tenant key with every scope is refused', credential: (f) => f.api.owner },
    ok: 201,
  }),
  'GET /stores': authz({
    foreign: { status: 200, code: null, why: "names no store: a tenant credential lists its own tenant's store only", hides: (f) => [f.a.store] },
    ok: 200,
  }),
  'GET /stores/:store_id': authz({ ok: 200 }),
  'DELETE /stores/:store_id': authz({
    params: (f) => ({ store_id: f.victims.store }),
    platformOnly: true,
    scope: { status: 403, code: 'forbidden', why: "deleting a store deletes its tenant: the tenant's own key with every scope is refused", credential: (f) => f.api.spare.store },
    ok: 204,
  }),
  'POST /stores/:store_id/authorization-models': authz({ body: (f) => f.model.body, ok: 201 }),
  'GET /stores/:store_id/authorization-models': authz({ ok: 200 }),
  'GET /stores/:store_id/authorization-models/:id': authz({ params: modelId, ok: 200 }),
  'POST /stores/:store_id/write': authz({ body: (f) => ({ writes: { tuple_keys: [{ ...member(f), user: 'user:bob' }] } }), ok: 200 }),
  'POST /stores/:store_id/read': authz({ body: () => ({}), ok: 200 }),
  'GET /stores/:store_id/changes': authz({ ok: 200 }),
  'POST /stores/:store_id/check': authz({ body: (f) => ({ tuple_key: member(f) }), ok: 200 }),
  'POST /stores/:store_id/batch-check': authz({ body: (f) => ({ checks: [{ tuple_key: member(f), correlation_id: 'c1' }] }), ok: 200 }),
  'POST /stores/:store_id/expand': authz({ body: (f) => ({ tuple_key: { relation: 'member', object: member(f).object } }), ok: 200 }),
  'POST /stores/:store_id/list-objects': authz({ body: () => ({ type: 'organization', relation: 'member', user: 'user:anne' }), ok: 200 }),
  'POST /stores/:store_id/streamed-list-objects': authz({ body: () => ({ type: 'organization', relation: 'member', user: 'user:anne' }), ok: 200 }),
  'POST /stores/:store_id/list-users': authz({
    body: (f) => ({ object: { type: 'organization', id: f.a.id }, relation: 'member', user_filters: [{ type: 'user' }] }),
    ok: 200,
  }),
  'GET /stores/:store_id/assertions/:authorization_model_id': authz({ ok: 200 }),
  'PUT /stores/:store_id/assertions/:authorization_model_id': authz({ body: (f) => ({ assertions: [{ tuple_key: member(f), expectation: true }] }), ok: 204 }),
};
