import { z } from 'zod';

const INSTANT = z.iso.datetime({ offset: true });

/** An ISO 8601 date and time with `Z` or an offset (a time without one would be read in local time). */
export const isIsoInstant = (s: string): boolean => INSTANT.safeParse(s).success;

/**
 * An audit `since`/`until` bound as the stored form (`toISOString`, millisecond precision, UTC),
 * or null when it falls outside the years 0000-9999 in UTC. `s` must pass `isIsoInstant`. Stored
 * times compare as strings, so a bound past year 9999 ('+010000-…') would sort first. Digits
 * below the millisecond round the bound up: every stored time before `s` stays before it, and
 * `since` (inclusive) and `until` (exclusive) both keep their meaning.
 */
export function auditInstant(s: string): string | null {
  const ms = new Date(s).getTime();
  const subMs = /\.\d{3}(\d*)/.exec(s)?.[1] ?? '';
  const iso = new Date(/[1-9]/.test(subMs) ? ms + 1 : ms).toISOString();
  return /^\d{4}-/.test(iso) ? iso : null;
}
