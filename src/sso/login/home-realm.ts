import type { SqliteTenantRegistry } from '../../tenants/sqlite-store.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import type { SqliteDomainStore } from '../domains/store.ts';

export interface RealmHints {
  /** Tenant id or slug (the `organization` authorization parameter). */
  organization?: string | undefined;
  /** An email address (the `login_hint` parameter, or what the person typed in the picker). */
  email?: string | undefined;
}

export type RealmResult = { tenant: Tenant } | { unknown: 'organization' | 'domain' } | { none: true };

/**
 * Home-realm discovery: which tenant a login belongs to. An explicit organization wins; else
 * the verified domain of the email; else nothing (the person is asked).
 */
export class HomeRealm {
  constructor(
    private readonly tenants: SqliteTenantRegistry,
    private readonly domains: SqliteDomainStore,
  ) {}

  resolve(h: RealmHints): RealmResult {
    const org = h.organization?.trim();
    if (org) {
      const t = this.tenants.findLive(org);
      return t && t.status === 'active' ? { tenant: t } : { unknown: 'organization' };
    }
    const email = h.email?.trim().toLowerCase();
    if (email && email.includes('@')) {
      const tenantId = this.domains.verifiedTenantOf(email.slice(email.lastIndexOf('@') + 1));
      const t = tenantId ? this.tenants.findById(tenantId) : undefined;
      return t && t.status === 'active' && !t.deleted_at ? { tenant: t } : { unknown: 'domain' };
    }
    return { none: true };
  }
}
