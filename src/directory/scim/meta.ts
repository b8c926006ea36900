import { etagOfVersion } from '../etag.ts';

/** RFC 7643 §3.1 `meta`; `version` is the ETag also sent in the ETag header. */
export function resourceMeta(resourceType: 'User' | 'Group', r: { created_at: string; updated_at: string; version: number }, location: string) {
  return { resourceType, created: r.created_at, lastModified: r.updated_at, location, version: etagOfVersion(r.version) };
}
