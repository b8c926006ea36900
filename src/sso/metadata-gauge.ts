import type { Clock } from '../lib/clock.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { SqliteConnectionLookup } from './connections/sqlite-store.ts';
import { metadataExpired } from './saml/metadata-validity.ts';

/** How far ahead a metadata `validUntil` counts as `expiring` (as an IdP certificate's expiry does). */
export const METADATA_WARNING_MS = 30 * 86_400_000;

export type MetadataState = 'valid' | 'expiring' | 'expired';
/** `url`: re-fetched from its metadata URL on a schedule, which moves the bound; `static`: XML or fields, only an admin changes it. */
export type MetadataSource = 'url' | 'static';

/**
 * Active SAML connections (of live tenants) by their IdP metadata's `validUntil` and its source:
 * `expired` once sign-ins through them are refused (past it beyond the clock skew), `expiring`
 * within 30 days, otherwise `valid` (also with no bound). Every pair is counted, zeros included.
 */
export function metadataHealth(lookup: Pick<SqliteConnectionLookup, 'activeMetadataBounds'>, now: Date): Record<`${MetadataState} ${MetadataSource}`, number> {
  const out = { 'valid url': 0, 'expiring url': 0, 'expired url': 0, 'valid static': 0, 'expiring static': 0, 'expired static': 0 };
  for (const c of lookup.activeMetadataBounds()) {
    const until = c.metadata_valid_until;
    const state: MetadataState = metadataExpired(until, c.clock_skew_seconds, now) ? 'expired' : until !== null && Date.parse(until) < now.getTime() + METADATA_WARNING_MS ? 'expiring' : 'valid';
    out[`${state} ${c.from_url ? 'url' : 'static'}`]++;
  }
  return out;
}

/** Registers `portcullis_sso_saml_connections_metadata{metadata, source}` (read at each scrape). */
export function registerMetadataGauge(metrics: Metrics, lookup: SqliteConnectionLookup, clock: Clock): void {
  metrics.gauge(
    'portcullis_sso_saml_connections_metadata',
    "Active SAML connections by their IdP metadata's validUntil: valid (none, or more than 30 days away), expiring (within 30 days) or expired (sign-ins refused); source url (a metadata URL re-fetched on a schedule moves it) or static (XML or fields: an admin must import current metadata).",
    ['metadata', 'source'],
    (set) => {
      for (const [key, n] of Object.entries(metadataHealth(lookup, clock.now()))) {
        const [metadata, source] = key.split(' ') as [string, string];
        set({ metadata, source }, n);
      }
    },
  );
}
