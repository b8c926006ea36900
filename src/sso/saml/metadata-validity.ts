/**
 * `validUntil` in SAML metadata (SAML V2.0 Metadata §2.2.1, §2.3.1, §2.4.1): the document, or the
 * part of it carrying the attribute, must not be relied on after that instant. It may sit on an
 * enclosing `EntitiesDescriptor` (a federation aggregate signs it there), on the
 * `EntityDescriptor` and on its role (`IDPSSODescriptor`); the earliest one bounds the IdP.
 */

/** The instant of an `xs:dateTime` (with `Z`, an offset, or none: SAML times are UTC); undefined when it is not one. */
export function parseXsDateTime(value: string): number | undefined {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const endOfDay = hour === 24 && minute === 0 && second === 0 && !m[7]?.replace(/[.0]/g, '');
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || (hour > 23 && !endOfDay) || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8] && m[8] !== 'Z') {
    const [h, min] = m[8].slice(1).split(':').map(Number) as [number, number];
    if (h > 14 || min > 59 || (h === 14 && min > 0)) return undefined;
    offsetMinutes = (m[8][0] === '-' ? -1 : 1) * (h * 60 + min);
  }
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  at.setUTCHours(hour, minute, second, Math.floor(Number(`0${m[7] ?? ''}`) * 1000));
  const t = at.getTime() - offsetMinutes * 60_000;
  // Beyond the years a Date holds (±275 760): in practice never, or long ago.
  return Number.isNaN(t) ? (year > 0 ? Infinity : -Infinity) : t;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Where the earliest `validUntil` was found, and when it is. */
export interface MetadataValidity {
  /** The element carrying it (`EntitiesDescriptor`, `EntityDescriptor` or `IDPSSODescriptor`). */
  element: string;
  value: string;
  /** Milliseconds since the epoch (Infinity for a year beyond what a Date holds). */
  at: number;
}

/**
 * The earliest `validUntil` on `role`, its `EntityDescriptor` and every enclosing element; null
 * when none carries one. Throws `malformed(element, value)` for a value that is not an xs:dateTime.
 */
export function earliestValidUntil(role: Element, malformed: (element: string, value: string) => Error): MetadataValidity | null {
  let earliest: MetadataValidity | null = null;
  for (let node: Node | null = role; node && node.nodeType === 1; node = node.parentNode) {
    const el = node as Element;
    if (!el.hasAttribute('validUntil')) continue;
    const value = el.getAttribute('validUntil') ?? '';
    const at = parseXsDateTime(value.trim());
    if (at === undefined) throw malformed(el.localName, value.slice(0, 100));
    if (!earliest || at < earliest.at) earliest = { element: el.localName, value: value.trim(), at };
  }
  return earliest;
}

/** The latest instant a stored ISO 8601 string holds in four-digit years (they then sort as text). */
const LAST_STORED_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * The bound as the connection keeps it: ISO 8601 UTC; a year beyond 9999 is kept as the end of
 * 9999 (never reached; it keeps the stored strings comparable as text).
 */
export function storedValidUntil(v: MetadataValidity | null): string | null {
  return v ? new Date(Math.min(v.at, LAST_STORED_INSTANT)).toISOString() : null;
}

/** Whether metadata valid until `validUntil` (ISO; null: no bound) is past at `now`, beyond `skewSeconds`. */
export function metadataExpired(validUntil: string | null, skewSeconds: number, now: Date): boolean {
  return validUntil !== null && Date.parse(validUntil) + skewSeconds * 1000 <= now.getTime();
}

/**
 * Seconds in an `xs:duration` (`P1D`, `PT6H`, `P1Y2M3DT4H5M6.5S`), a year as 365 days and a month
 * as 30 (`cacheDuration` is a hint; a day either way makes no difference); undefined when it is
 * not one, or negative.
 */
export function parseXsDuration(value: string): number | undefined {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value);
  if (!m || value === 'P' || value.endsWith('T')) return undefined;
  const [y, mo, d, h, min, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  return ((y * 365 + mo * 30 + d) * 24 + h) * 3600 + min * 60 + s;
}

/**
 * The shortest `cacheDuration` (seconds) on `role`, its `EntityDescriptor` and every enclosing
 * element: how long the IdP asks that the document be cached before it is fetched again
 * (SAML V2.0 Metadata §2.2.1). Null when none carries a readable one; one that is not an
 * `xs:duration` is ignored (a hint, unlike `validUntil`).
 */
export function shortestCacheDuration(role: Element): number | null {
  let shortest: number | null = null;
  for (let node: Node | null = role; node && node.nodeType === 1; node = node.parentNode) {
    const seconds = parseXsDuration(((node as Element).getAttribute('cacheDuration') ?? '').trim());
    if (seconds !== undefined && (shortest === null || seconds < shortest)) shortest = seconds;
  }
  return shortest;
}
