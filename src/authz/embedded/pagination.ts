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
