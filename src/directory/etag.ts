/** A directory resource's ETag: weak, from its version counter (`W/"3"`). */
export const etagOfVersion = (version: number) => `W/"${version}"`;

/** If-Match: `*`, or a list of ETags (weak or strong forms of ours). */
export function versionMatches(ifMatch: string | undefined, version: number): boolean {
  if (ifMatch === undefined) return true;
  const current = `"${version}"`;
  return ifMatch
    .split(',')
    .map((s) => s.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === current);
}
