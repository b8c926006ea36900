import type { App } from '../apps/app.ts';
import type { Tenant } from '../../tenants/tenant.ts';
import type { Connection } from '../../sso/connections/connection.ts';
import type { HomeRealm, RealmHints } from '../../sso/login/home-realm.ts';
import type { ConnectionService } from '../../sso/connections/service.ts';
import type { SqliteTenantRegistry } from '../../tenants/sqlite-store.ts';
import type { Clock } from '../../lib/clock.ts';
import { metadataExpired } from '../../sso/saml/metadata-validity.ts';

export type LoginRoute =
  | { go: Connection }
  | { choose: { tenant: Tenant; connections: Connection[] } }
  | { ask: string | undefined }
  | { refuse: { reason: string; tenantId?: string; connection_id?: string; detail?: string } };

/**
 * Where a login goes: the tenant (the app's own for a single-tenant app, else home-realm
 * discovery), then its active connection (the `connection` parameter may pick one). A SAML
 * connection whose metadata is past its validUntil signs nobody in: it is neither offered nor
 * picked while another can sign in; when it is all there is, it is gone to and refuses there.
 */
export function routeLogin(
  deps: { realm: HomeRealm; connections: ConnectionService; tenants: SqliteTenantRegistry; clock: Clock },
  app: App,
  hints: RealmHints & { connection?: string | undefined },
): LoginRoute {
  const found = deps.realm.resolve(hints);
  let tenant: Tenant | undefined;
  if (!app.multi_tenant) {
    const own = deps.tenants.findById(app.tenant_id);
    if (!own || own.status !== 'active' || own.deleted_at) return { refuse: { reason: 'app_tenant_not_active' } };
    if ('tenant' in found && found.tenant.id !== own.id) return { refuse: { reason: 'organization_not_allowed_for_app', tenantId: own.id } };
    if ('unknown' in found && found.unknown === 'organization') return { refuse: { reason: 'organization_not_allowed_for_app', tenantId: own.id } };
    tenant = own;
  } else if ('tenant' in found) {
    tenant = found.tenant;
  } else if ('unknown' in found) {
    return { ask: found.unknown === 'organization' ? 'That organization was not found.' : 'No organization uses single sign-on for that email domain.' };
  } else {
    return { ask: undefined };
  }
  const active = deps.connections.active(tenant.id);
  if (hints.connection) {
    const chosen = active.find((c) => c.id === hints.connection);
    return chosen ? { go: chosen } : { refuse: { reason: 'connection_not_available', tenantId: tenant.id } };
  }
  if (active.length === 0) return { refuse: { reason: 'no_active_connection', tenantId: tenant.id } };
  const now = deps.clock.now();
  const live = active.filter((c) => !c.saml || !metadataExpired(c.saml.metadata_valid_until, c.saml.clock_skew_seconds, now));
  // Only expired ones: the one there is refuses with its own reason; several are refused together.
  if (live.length === 0 && active.length === 1) return { go: active[0] as Connection };
  if (live.length === 0) {
    const detail = `every active connection's IdP metadata is past its validUntil: ${active.map((c) => `${c.id} (${c.saml?.metadata_valid_until})`).join(', ')}`;
    return { refuse: { reason: 'saml_metadata_expired', tenantId: tenant.id, connection_id: (active[0] as Connection).id, detail: detail.slice(0, 500) } };
  }
  if (live.length === 1) return { go: live[0] as Connection };
  return { choose: { tenant, connections: live } };
}
