import { describe, expect, it } from 'vitest';
import { ifMatchAccepts, resourceEtag } from './etag.ts';

describe('resource ETags', () => {
  it('name one version of one resource: another id or another version gives another tag', () => {
    const tag = resourceEtag('ten_a', 1);
    expect(tag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(resourceEtag('ten_a', 1)).toBe(tag);
    expect(resourceEtag('ten_b', 1)).not.toBe(tag);
    expect(resourceEtag('ten_a', 2)).not.toBe(tag);
  });

  it('accept the current tag in If-Match as is, weak, in a list or as *, and nothing else', () => {
    const tag = resourceEtag('ten_a', 3);
    for (const ifMatch of [tag, `W/${tag}`, `"x", ${tag}`, ` ${tag} ,"y"`, '*']) expect(ifMatchAccepts(ifMatch, tag), ifMatch).toBe(true);
    for (const ifMatch of ['"3"', 'W/"3"', resourceEtag('ten_b', 3), resourceEtag('ten_a', 2), '', `${tag}x`, tag.slice(1, -1)]) {
      expect(ifMatchAccepts(ifMatch, tag), ifMatch).toBe(false);
    }
  });
});
