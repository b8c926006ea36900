import type { Scope } from '../apikeys/scopes.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { forbidden, insufficientScope, notFound, unauthenticated } from './errors.ts';
import type { Principal } from './principal.ts';

/**
 * Decides whether `principal` may act in `tenant` with `scope`. The order matters: a key of
 * another tenant gets the same 404 as a tenant that does not exist, before any scope check
 * could reveal that the tenant is there.
 */
export function authorizeTenant(principal: Principal | undefined, tenant: Tenant, anyOf: Scope | readonly Scope[]): void {
  if (!principal) throw unauthenticated();
  if (principal.kind === 'platform') return;
  if (principal.tenantId !== tenant.id || principal.kind !== 'tenant') throw notFound('tenant');
  const scopes = typeof anyOf === 'string' ? [anyOf] : anyOf;
  if (!scopes.some((s) => principal.scopes.has(s))) throw insufficientScope(scopes.join("' or '"));
  if (tenant.status !== 'active') throw forbidden('tenant_suspended', 'The tenant is suspended.');
}

/** Platform-only operations (creating tenants, listing all of them). */
export function requirePlatform(principal: Principal | undefined): void {
  if (!principal) throw unauthenticated();
  if (principal.kind !== 'platform') throw forbidden('platform_key_required', 'This operation needs a platform API key.');
}
