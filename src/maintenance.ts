import type { Services } from './services.ts';
import type { Clock } from './lib/clock.ts';
import { runSsoMaintenance, type MaintenanceResult } from './sso/maintenance.ts';
import type { StorePurgePassResult } from './authz/purge/service.ts';

export interface ServiceMaintenanceResult {
  sso: MaintenanceResult;
  /** Idempotency records past their 24 h replay window, deleted. */
  idempotencyPurged: number;
  /** Tuple work queued for a remote OpenFGA server: stores drained (failed: left for the next pass), changes applied. */
  authzPending: { stores: number; failed: number; applied: number };
  /** Deleted tenants' authorization stores: purged in this pass, failed (retried next pass), still pending, tuples deleted. */
  authzStorePurges: StorePurgePassResult;
}

/**
 * One pass of the server's housekeeping: SSO's (metadata refresh, expired provider records,
 * login states, replay cache), expired idempotency records, which nothing else deletes, and tuple
 * work a remote OpenFGA server could not take when its request ran (no retry needed), after
 * deleted tenants' authorization stores were purged (a bounded part of each; their queued work
 * dropped first, so it is not sent to a store about to go).
 */
export async function runMaintenance(s: Pick<Services, 'sso' | 'storage' | 'config' | 'authzWriter' | 'authzStorePurges'>, clock: Clock): Promise<ServiceMaintenanceResult> {
  const authzStorePurges = await s.authzStorePurges.runPass();
  const authzPending = await s.authzWriter.finishAllPending();
  const sso = await runSsoMaintenance(s.sso, clock, s.config.samlMetadataRefreshMinutes);
  const idempotencyPurged = s.storage.unscoped.idempotency.purgeExpired(clock.now().toISOString());
  return { sso, idempotencyPurged, authzPending, authzStorePurges };
}

/** Runs maintenance every `intervalMs` (unref'd timer, one pass at a time) until the returned stop function is called. */
export function startMaintenance(s: Pick<Services, 'sso' | 'storage' | 'config' | 'authzWriter' | 'authzStorePurges' | 'clock' | 'logger'>, intervalMs = 60_000): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    runMaintenance(s, s.clock)
      .then((r) => {
        if (r.sso.metadataRefreshed + r.sso.metadataFailed + r.sso.unmapsFinished + r.sso.unmapsFailed > 0 || r.idempotencyPurged > 0 || r.authzPending.stores > 0 || r.authzStorePurges.purged + r.authzStorePurges.failed + r.authzStorePurges.tuplesDeleted > 0) s.logger.info(r, 'maintenance');
      })
      .catch((err) => s.logger.error({ err }, 'maintenance failed'))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
