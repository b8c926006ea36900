import type { Scope } from '../../apikeys/scopes.ts';
import type { TenantService } from '../../tenants/service.ts';
import type { AssertionStore } from '../assertions.ts';
import type { AuditedAuthzEngine, AuthzAuditDeps } from '../wrappers/audited.ts';
import { storeAccess, type StoreOwnerLookup } from './access.ts';

/** What the `/stores` handlers use. */
export interface AuthzRouteDeps {
  engine: AuditedAuthzEngine;
  tenants: TenantService;
  owner: StoreOwnerLookup;
  assertions: AssertionStore;
  audit: AuthzAuditDeps;
}

/** `middleware` for a `/{store_id}/…` route needing `scope`. */
export const needs = (deps: AuthzRouteDeps, scope: Scope) => [storeAccess(deps.owner, scope)];

export const TRUNCATED_HEADER = 'X-Portcullis-Truncated';
