import type { Scope } from '../../src/apikeys/scopes.ts';

/** One `/stores/{store_id}/…` operation, with a body that succeeds on a store holding FIXTURE_MODEL. */
export interface StoreRoute {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: (storeId: string, modelId: string) => string;
  scope: Scope;
  body?: unknown;
  ok: number;
  /** Only platform keys may call it (a tenant key with the scope still gets 403). */
  platformOnly?: boolean;
}

export const FIXTURE_MODEL = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    {
      type: 'doc',
      relations: { viewer: { this: {} } },
      metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user' }] } } },
    },
  ],
};

const tk = { user: 'user:anne', relation: 'viewer', object: 'doc:1' };

export const STORE_ROUTES: StoreRoute[] = [
  { name: 'get store', method: 'GET', path: (s) => `/stores/${s}`, scope: 'authz:read', ok: 200 },
  { name: 'write authorization model', method: 'POST', path: (s) => `/stores/${s}/authorization-models`, scope: 'authz:model', body: FIXTURE_MODEL, ok: 201 },
  { name: 'list authorization models', method: 'GET', path: (s) => `/stores/${s}/authorization-models`, scope: 'authz:read', ok: 200 },
  { name: 'read authorization model', method: 'GET', path: (s, m) => `/stores/${s}/authorization-models/${m}`, scope: 'authz:read', ok: 200 },
  { name: 'write tuples', method: 'POST', path: (s) => `/stores/${s}/write`, scope: 'authz:write', body: { writes: { tuple_keys: [{ ...tk, user: 'user:new' }] } }, ok: 200 },
  { name: 'read tuples', method: 'POST', path: (s) => `/stores/${s}/read`, scope: 'authz:read', body: {}, ok: 200 },
  { name: 'read changes', method: 'GET', path: (s) => `/stores/${s}/changes`, scope: 'authz:read', ok: 200 },
  { name: 'check', method: 'POST', path: (s) => `/stores/${s}/check`, scope: 'authz:read', body: { tuple_key: tk }, ok: 200 },
  { name: 'batch-check', method: 'POST', path: (s) => `/stores/${s}/batch-check`, scope: 'authz:read', body: { checks: [{ tuple_key: tk, correlation_id: 'c1' }] }, ok: 200 },
  { name: 'expand', method: 'POST', path: (s) => `/stores/${s}/expand`, scope: 'authz:read', body: { tuple_key: { relation: 'viewer', object: 'doc:1' } }, ok: 200 },
  { name: 'list-objects', method: 'POST', path: (s) => `/stores/${s}/list-objects`, scope: 'authz:read', body: { type: 'doc', relation: 'viewer', user: 'user:anne' }, ok: 200 },
  { name: 'streamed-list-objects', method: 'POST', path: (s) => `/stores/${s}/streamed-list-objects`, scope: 'authz:read', body: { type: 'doc', relation: 'viewer', user: 'user:anne' }, ok: 200 },
  { name: 'list-users', method: 'POST', path: (s) => `/stores/${s}/list-users`, scope: 'authz:read', body: { object: { type: 'doc', id: '1' }, relation: 'viewer', user_filters: [{ type: 'user' }] }, ok: 200 },
  { name: 'read assertions', method: 'GET', path: (s, m) => `/stores/${s}/assertions/${m}`, scope: 'authz:read', ok: 200 },
  { name: 'write assertions', method: 'PUT', path: (s, m) => `/stores/${s}/assertions/${m}`, scope: 'authz:model', body: { assertions: [{ tuple_key: tk, expectation: true }] }, ok: 204 },
  { name: 'delete store', method: 'DELETE', path: (s) => `/stores/${s}`, scope: 'authz:model', ok: 204, platformOnly: true },
];
