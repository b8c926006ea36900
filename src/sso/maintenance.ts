import type { Clock } from '../lib/clock.ts';
import { systemActor } from '../audit/events.ts';
import { ApiError } from '../http/errors.ts';
import type { Sso } from './compose.ts';

/**
 * The least time between two fetches of a metadata URL that its `cacheDuration` or a near
 * `validUntil` brings forward (the scheduled refresh is `PORTCULLIS_SAML_METADATA_REFRESH_MINUTES`).
 */
export const METADATA_REFRESH_FLOOR_SECONDS = 300;

export interface MaintenanceResult {
  metadataRefreshed: number;
  metadataFailed: number;
  purged: { oidc: number; loginStates: number; replay: number };
  /** Connections whose pending group-mapping removals (remote OpenFGA) were finished, or failed again. */
  unmapsFinished: number;
  unmapsFailed: number;
}

/**
 * One pass of SSO housekeeping: re-fetch SAML metadata URLs that are due (so IdP certificate
 * rollovers are picked up, and documents with a `validUntil` or `cacheDuration` renewed in time), finish group-mapping removals a remote OpenFGA could not take, and
 * purge expired provider records, login states and replay-cache entries.
 */
export async function runSsoMaintenance(sso: Sso, clock: Clock, refreshMinutes: number): Promise<MaintenanceResult> {
  const now = clock.now();
  let metadataRefreshed = 0;
  let metadataFailed = 0;
  if (refreshMinutes > 0) {
    const due = sso.connections.lookup.metadataDue(now, refreshMinutes, METADATA_REFRESH_FLOOR_SECONDS);
    for (const c of due) {
      const refreshed = await sso.connections.refreshMetadata(c.tenant_id, c.id, { ...systemActor(), id: 'metadata-refresh' }).catch((err: unknown) => {
        // Deleted by an admin since the list was read (each fetch may take seconds): nothing to refresh.
        if (err instanceof ApiError && err.status === 404) return undefined;
        throw err;
      });
      if (!refreshed) continue;
      if (refreshed.error !== null) metadataFailed++;
      else metadataRefreshed++;
    }
  }
  const unmaps = await sso.connections.finishPendingUnmaps({ ...systemActor(), id: 'sso-maintenance' });
  const purged = {
    oidc: sso.models.purgeExpired(Date.now()),
    loginStates: sso.states.purgeExpired(now.toISOString()),
    replay: sso.replay.purgeExpired(now),
  };
  return { metadataRefreshed, metadataFailed, purged, unmapsFinished: unmaps.finished, unmapsFailed: unmaps.failed };
}
