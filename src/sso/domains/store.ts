import type { Sql } from '../../storage/database.ts';
import { canonicalDomain, exactEmailDomain } from './canonical.ts';

export interface Domain {
  id: string;
  tenant_id: string;
  domain: string;
  verification_token: string;
  verified_at: string | null;
  created_at: string;
}

/** Domains claimed by tenants. Lookups by domain (home-realm discovery) only see verified ones. */
export class SqliteDomainStore {
  constructor(private readonly sql: Sql) {}

  insert(d: Domain): void {
    this.sql
      .prepare(
        `INSERT INTO sso_domains (id, tenant_id, domain, verification_token, verified_at, created_at)
         VALUES (@id, @tenant_id, @domain, @verification_token, @verified_at, @created_at)`,
      )
      .run(d);
  }

  find(tenantId: string, id: string): Domain | undefined {
    return this.sql.prepare<[string, string], Domain>('SELECT * FROM sso_domains WHERE tenant_id = ? AND id = ?').get(tenantId, id);
  }

  findByName(tenantId: string, domain: string): Domain | undefined {
    return this.sql.prepare<[string, string], Domain>('SELECT * FROM sso_domains WHERE tenant_id = ? AND domain = ?').get(tenantId, domain);
  }

  list(tenantId: string): Domain[] {
    return this.sql.prepare<[string], Domain>('SELECT * FROM sso_domains WHERE tenant_id = ? ORDER BY domain').all(tenantId);
  }

  markVerified(tenantId: string, id: string, at: string): void {
    this.sql.prepare('UPDATE sso_domains SET verified_at = ? WHERE tenant_id = ? AND id = ?').run(at, tenantId, id);
  }

  remove(tenantId: string, id: string): void {
    this.sql.prepare('DELETE FROM sso_domains WHERE tenant_id = ? AND id = ?').run(tenantId, id);
  }

  /**
   * The tenant that verified `domain` (an email's domain, in any spelling: Unicode or punycode,
   * any case), if any (unscoped: this is how a login finds its tenant).
   */
  verifiedTenantOf(domain: string): string | undefined {
    const canonical = canonicalDomain(domain);
    if (!canonical) return undefined;
    return this.sql
      .prepare<[string], { tenant_id: string }>('SELECT tenant_id FROM sso_domains WHERE domain = ? AND verified_at IS NOT NULL')
      .get(canonical)?.tenant_id;
  }

  /**
   * Whether the tenant verified `domain`, an email's domain, spelled as IDNA spells it (A-labels
   * or U-labels, any case): a look-alike that UTS #46 merely maps onto it (full-width letters) is
   * not vouched for (see `exactEmailDomain`).
   */
  isVerifiedFor(tenantId: string, domain: string): boolean {
    const canonical = exactEmailDomain(domain);
    if (!canonical) return false;
    return !!this.sql
      .prepare('SELECT 1 FROM sso_domains WHERE tenant_id = ? AND domain = ? AND verified_at IS NOT NULL')
      .get(tenantId, canonical);
  }

  verifiedElsewhere(tenantId: string, domain: string): boolean {
    return !!this.sql
      .prepare('SELECT 1 FROM sso_domains WHERE tenant_id != ? AND domain = ? AND verified_at IS NOT NULL')
      .get(tenantId, domain);
  }

  /**
   * Takes `domain` back from a deleted tenant that had verified it (one at most), so that a live
   * tenant can verify it; returns that tenant's id. A deleted tenant's rows stay, unverified.
   */
  releaseFromDeleted(domain: string): string | undefined {
    const held = this.sql
      .prepare<[string], { id: string; tenant_id: string }>(
        `SELECT d.id, d.tenant_id FROM sso_domains d JOIN tenants t ON t.id = d.tenant_id
         WHERE d.domain = ? AND d.verified_at IS NOT NULL AND t.deleted_at IS NOT NULL`,
      )
      .get(domain);
    if (!held) return undefined;
    this.sql.prepare('UPDATE sso_domains SET verified_at = NULL WHERE id = ?').run(held.id);
    return held.tenant_id;
  }
}
