import type { Scope } from '../apikeys/scopes.ts';
import type { TenantStatus } from '../tenants/tenant.ts';

/** Who is calling, once a credential has been verified. */
export type Principal =
  | { kind: 'platform'; credentialId: string }
  | { kind: 'tenant'; credentialId: string; tenantId: string; tenantStatus: TenantStatus; scopes: ReadonlySet<Scope> }
  /** A SCIM bearer token: acts only on its one directory, only through the SCIM API. */
  | { kind: 'scim'; credentialId: string; tenantId: string; tenantStatus: TenantStatus; directoryId: string };

export function principalActorType(p: Principal): 'platform_key' | 'tenant_key' | 'scim_token' {
  return p.kind === 'platform' ? 'platform_key' : p.kind === 'scim' ? 'scim_token' : 'tenant_key';
}
