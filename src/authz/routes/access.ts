import type { MiddlewareHandler } from 'hono';
import type { Scope } from '../../apikeys/scopes.ts';
import { unauthenticated } from '../../http/errors.ts';
import type { Principal } from '../../http/principal.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import { OpenFgaError } from '../errors.ts';
import '../../http/context.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** The tenant owning the `/stores/{store_id}` of this request, once access was granted. */
    authzTenant: Tenant;
  }
}

/** OpenFGA store ids are ULIDs; anything else is a 400 there, and so here. */
export const STORE_ID = /^[ABCDEFGHJKMNPQRSTVWXYZ0-9]{26}$/;

/** Finds the live tenant that owns a store id (an explicitly unscoped lookup). */
export type StoreOwnerLookup = (storeId: string) => Tenant | undefined;

/** OpenFGA's answer for a store that does not exist, word for word; also for another tenant's store. */
export const storeNotFound = () => new OpenFgaError(404, 'store_id_not_found', 'Store ID not found');

export const forbiddenScope = (scope: Scope) =>
  new OpenFgaError(403, 'forbidden', `This credential lacks the '${scope}' scope.`);

/**
 * Grants access to one store. Order matters: a store that does not exist and a store of another
 * tenant give the same 404 `store_id_not_found` before any scope check could tell them apart;
 * only then does a missing scope give 403. Platform keys reach every store.
 */
export function decideStoreAccess(principal: Principal | undefined, owner: Tenant | undefined, scope: Scope): Tenant {
  if (!principal) throw unauthenticated();
  if (!owner) throw storeNotFound();
  if (principal.kind === 'platform') return owner;
  if (principal.kind !== 'tenant' || principal.tenantId !== owner.id) throw storeNotFound();
  if (!principal.scopes.has(scope)) throw forbiddenScope(scope);
  if (owner.status !== 'active') throw new OpenFgaError(403, 'forbidden', 'The tenant is suspended.');
  return owner;
}

/** Route middleware (runs before body validation): resolves `{store_id}` and checks access. */
export function storeAccess(lookup: StoreOwnerLookup, scope: Scope): MiddlewareHandler {
  return async function storeAccessMiddleware(c, next) {
    const storeId = c.req.param('store_id') ?? '';
    if (!STORE_ID.test(storeId)) {
      throw new OpenFgaError(400, 'validation_error', `invalid StoreId: value does not match regex pattern "${STORE_ID.source}"`);
    }
    const tenant = decideStoreAccess(c.get('principal'), lookup(storeId), scope);
    c.set('authzTenant', tenant);
    c.set('tenantId', tenant.id);
    await next();
  };
}
