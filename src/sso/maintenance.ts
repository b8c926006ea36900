import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import { systemActor } from '../audit/events.ts';
import type { Sso } from './compose.ts';

export interface MaintenanceResult {
  metadataRefreshed: number;
  metadataFailed: number;
  purged: { oidc: number; loginStates: number; replay: number };
}

/**
 * One pass of SSO housekeeping: re-fetch SAML metadata URLs that are due (so IdP certificate
 * rollovers are picked up), and purge expired provider records, login states and replay-cache
 * entries.
 */
export async function runSsoMaintenance(sso: Sso, clock: Clock, refreshMinutes: number): Promise<MaintenanceResult> {
  const now = clock.now();
  let metadataRefreshed = 0;
  let metadataFailed = 0;
  if (refreshMinutes > 0) {
    const due = sso.connections.lookup.metadataDue(new Date(now.getTime() - refreshMinutes * 60_000).toISOString());
    for (const c of due) {
      const after = await sso.connections.refreshMetadata(c.tenant_id, c.id, { ...systemActor(), id: 'metadata-refresh' });
      if (after.saml?.metadata_error) metadataFailed++;
      else metadataRefreshed++;
    }
  }
  const purged = {
    oidc: sso.models.purgeExpired(Date.now()),
    loginStates: sso.states.purgeExpired(now.toISOString()),
    replay: sso.replay.purgeExpired(now),
  };
  return { metadataRefreshed, metadataFailed, purged };
}

/** Runs maintenance every `intervalMs` (unref'd timer) until the returned stop function is called. */
export function startSsoMaintenance(sso: Sso, clock: Clock, logger: Logger, refreshMinutes: number, intervalMs = 60_000): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    runSsoMaintenance(sso, clock, refreshMinutes)
      .then((r) => {
        if (r.metadataRefreshed + r.metadataFailed > 0) logger.info(r, 'sso maintenance');
      })
      .catch((err) => logger.error({ err }, 'sso maintenance failed'))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
