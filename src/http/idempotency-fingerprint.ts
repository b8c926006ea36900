import { canonicalJson } from '../lib/canonical-json.ts';
import { sha256Hex } from '../lib/crypto.ts';

/**
 * Request headers that change what a POST means, so a retry must repeat them: the
 * preconditions (RFC 9110 §13) and how the body is to be read. Anything else (User-Agent,
 * X-Request-Id, Accept, tracing headers) may differ between a request and its retry.
 */
export const MEANINGFUL_HEADERS = [
  'content-type',
  'content-encoding',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
] as const;

/** Marks fingerprints of this scheme; a stored hash without it was written by an earlier release. */
const VERSION = 'v2:';

/** The parts of a request that decide whether a retry is the same request. */
export interface FingerprintedRequest {
  method: string;
  path: string;
  /** The query string as sent, with its `?`, or ''. */
  search: string;
  header(name: string): string | undefined;
  body: string;
}

/**
 * What a retry must match to get the stored reply: method, path, query, the meaningful headers
 * (a media type compared without case, spaces or a `charset` — bodies are read as UTF-8 whatever
 * it says, so a client adding `charset=utf-8` on its retry sends the same request; other values
 * as sent) and the body (JSON
 * compared with keys in any order). An absent header differs from an empty one.
 */
export function requestFingerprint(r: FingerprintedRequest): string {
  const headers = MEANINGFUL_HEADERS.map((name) => {
    const value = r.header(name)?.trim();
    return value === undefined ? null : name === 'content-type' ? mediaType(value) : value;
  });
  return VERSION + sha256Hex(JSON.stringify([r.method, r.path, r.search, headers, normaliseBody(r.body)]));
}

/**
 * Whether `stored` (from the idempotency table) fingerprints the request `r`. A record written
 * before this scheme (at most 24 h old at an upgrade) holds a hash of method, path and body
 * only: it is compared that way, so a true retry across the upgrade is still replayed rather
 * than refused or run twice.
 */
export function fingerprintMatches(stored: string, r: FingerprintedRequest, fingerprint = requestFingerprint(r)): boolean {
  if (stored.startsWith(VERSION)) return stored === fingerprint;
  return stored === sha256Hex(`${r.method} ${r.path}\n${normaliseBody(r.body)}`);
}

function normaliseBody(body: string): string {
  try {
    return canonicalJson(JSON.parse(body));
  } catch {
    return body;
  }
}

/** A Content-Type as compared: lower case, no spaces, without its `charset` parameter. */
function mediaType(value: string): string {
  return value
    .toLowerCase()
    .replace(/\s+/g, '')
    .split(';')
    .filter((part, i) => i === 0 || !part.startsWith('charset='))
    .join(';');
}
