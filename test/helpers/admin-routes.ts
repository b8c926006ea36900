import type { Harness } from './harness.ts';
import type { Scope } from '../../src/apikeys/scopes.ts';

export interface TenantCtx {
  id: string;
  slug: string;
  /** An extra key of this tenant that a route may act on (read or revoke). */
  victimKeyId: string;
}

/** One admin route, described so shared security cases can run against it. */
export interface AdminRoute {
  name: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: (t: TenantCtx) => string;
  body?: (t: TenantCtx) => unknown;
  /** The scope a tenant key needs, or 'platform' for platform-only routes. */
  needs: Scope | 'platform';
  ok: number;
  /** Whether the route acts on one tenant (so another tenant's key gets a 404). */
  tenantScoped: boolean;
}

export const ADMIN_ROUTES: AdminRoute[] = [
  { name: 'create tenant', method: 'POST', path: () => '/admin/v1/tenants', body: () => ({ name: 'Fresh Co' }), needs: 'platform', ok: 201, tenantScoped: false },
  { name: 'get tenant', method: 'GET', path: (t) => `/admin/v1/tenants/${t.id}`, needs: 'admin', ok: 200, tenantScoped: true },
  { name: 'get tenant by slug', method: 'GET', path: (t) => `/admin/v1/tenants/${t.slug}`, needs: 'admin', ok: 200, tenantScoped: true },
  { name: 'update tenant', method: 'PATCH', path: (t) => `/admin/v1/tenants/${t.id}`, body: () => ({ name: 'Renamed' }), needs: 'admin', ok: 200, tenantScoped: true },
  { name: 'suspend tenant', method: 'POST', path: (t) => `/admin/v1/tenants/${t.id}/suspend`, needs: 'platform', ok: 200, tenantScoped: true },
  { name: 'delete tenant', method: 'DELETE', path: (t) => `/admin/v1/tenants/${t.id}`, needs: 'platform', ok: 204, tenantScoped: true },
  { name: 'create api key', method: 'POST', path: (t) => `/admin/v1/tenants/${t.id}/api-keys`, body: () => ({ name: 'n', scopes: ['authz:read'] }), needs: 'admin', ok: 201, tenantScoped: true },
  { name: 'list api keys', method: 'GET', path: (t) => `/admin/v1/tenants/${t.id}/api-keys`, needs: 'admin', ok: 200, tenantScoped: true },
  { name: 'get api key', method: 'GET', path: (t) => `/admin/v1/tenants/${t.id}/api-keys/${t.victimKeyId}`, needs: 'admin', ok: 200, tenantScoped: true },
  { name: 'revoke api key', method: 'DELETE', path: (t) => `/admin/v1/tenants/${t.id}/api-keys/${t.victimKeyId}`, needs: 'admin', ok: 200, tenantScoped: true },
  { name: 'list audit events', method: 'GET', path: (t) => `/admin/v1/tenants/${t.id}/audit`, needs: 'audit:read', ok: 200, tenantScoped: true },
  { name: 'export audit events', method: 'GET', path: (t) => `/admin/v1/tenants/${t.id}/audit/export?format=csv`, needs: 'audit:read', ok: 200, tenantScoped: true },
  { name: 'verify audit chain', method: 'GET', path: (t) => `/admin/v1/tenants/${t.id}/audit/verify`, needs: 'audit:read', ok: 200, tenantScoped: true },
];

/** A tenant with a victim key, as the shared security cases need. */
export async function seedTenant(h: Harness, name: string): Promise<TenantCtx> {
  const t = await h.createTenant(name);
  const victim = await h.tenantKey(t.id, ['authz:read']);
  return { id: t.id, slug: t.slug, victimKeyId: victim.id };
}

/** Everything observable about a tenant through storage, to prove a refused request changed nothing. */
export function snapshotTenant(h: Harness, tenantId: string): unknown {
  const sql = h.services.storage.sql;
  return {
    tenant: sql.prepare('SELECT * FROM tenants WHERE id = ?').get(tenantId),
    keys: sql.prepare('SELECT id, name, revoked_at FROM api_keys WHERE tenant_id = ? ORDER BY id').all(tenantId),
    scopes: sql.prepare('SELECT s.* FROM api_key_scopes s JOIN api_keys k ON k.id = s.key_id WHERE k.tenant_id = ? ORDER BY 1, 2').all(tenantId),
    audit: sql.prepare('SELECT seq, hash FROM audit_events WHERE chain = ? ORDER BY seq').all(tenantId),
    tenantCount: sql.prepare('SELECT count(*) AS n FROM tenants').get(),
  };
}
