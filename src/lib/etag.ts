import { sha256Hex } from './crypto.ts';

/**
 * The strong ETag of one version of one resource: a digest of its id and version, not the bare
 * version, so that a tag read from another resource never matches (a deleted tenant whose slug a
 * new tenant took, addressed by that slug; another app at the same version).
 */
export function resourceEtag(id: string, version: number): string {
  return `"${sha256Hex(`${id}\n${version}`).slice(0, 32)}"`;
}

/** If-Match: `*`, or a comma-separated list of ETags, each in its strong or weak (`W/`) form. */
export function ifMatchAccepts(ifMatch: string, currentEtag: string): boolean {
  return ifMatch
    .split(',')
    .map((s) => s.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === currentEtag);
}
