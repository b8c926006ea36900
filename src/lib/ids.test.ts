import { describe, expect, it } from 'vitest';
import { looksLikeId, newId, ulid } from './ids.ts';

describe('ids', () => {
  it('makes ids that sort in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => ulid(1_800_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });

  it('orders ids by their time first', () => {
    const early = ulid(1_700_000_000_000);
    const late = ulid(1_800_000_000_000);
    expect(early < late).toBe(true);
  });

  it('prefixes ids and recognises them', () => {
    const id = newId('ten');
    expect(looksLikeId(id, 'ten')).toBe(true);
    expect(looksLikeId(id, 'key')).toBe(false);
    expect(looksLikeId('ten_nope')).toBe(false);
  });
});
