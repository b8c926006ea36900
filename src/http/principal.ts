import type { Scope } from '../apikeys/scopes.ts';
import type { TenantStatus } from '../tenants/tenant.ts';

/** Who is calling, once a credential has been verified. */
export type Principal =
  | { kind: 'platform'; credentialId: string }
  | { kind: 'tenant'; credentialId: string; tenantId: string; tenantStatus: TenantStatus; scopes: ReadonlySet<Scope> };

export function principalActorType(p: Principal): 'platform_key' | 'tenant_key' {
  return p.kind === 'platform' ? 'platform_key' : 'tenant_key';
}
