import { fgaError } from '../errors.ts';

/** OpenFGA's paging for Read, ReadChanges and ReadAuthorizationModels: 1–100, default 50. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

export function pageSizeOf(pageSize: number | undefined, request: string): number {
  if (pageSize === undefined || pageSize === null || pageSize === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw fgaError('page_size_invalid', `invalid ${request}.PageSize: value must be inside range [1, ${MAX_PAGE_SIZE}]`);
  }
  return pageSize;
}

export const invalidContinuationToken = () => fgaError('invalid_continuation_token', 'Invalid continuation token');

/** Opaque tokens: base64url of a small JSON object tagged with what it pages through. */
export function encodeToken(kind: string, position: unknown[]): string {
  return Buffer.from(JSON.stringify({ k: kind, p: position }), 'utf8').toString('base64url');
}

/** The position inside a token of `kind`; undefined for no token; throws for a foreign or broken one. */
export function decodeToken(token: string | undefined, kind: string): unknown[] | undefined {
  if (token === undefined || token === null || token === '') return undefined;
  if (token.length > 4096 || !/^[A-Za-z0-9_-]+={0,2}$/.test(token)) throw invalidContinuationToken();
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown; p?: unknown };
    if (parsed.k === kind && Array.isArray(parsed.p)) return parsed.p;
  } catch {
    // fall through
  }
  throw invalidContinuationToken();
}
