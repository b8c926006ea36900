import { describe, expect, it } from 'vitest';
import { TokenBucketLimiter } from './rate-limiter.ts';

describe('token bucket limiter', () => {
  it('allows a burst, then refuses with the seconds to wait, then refills over time', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(3, 1, () => now);
    expect([limiter.take('k'), limiter.take('k'), limiter.take('k')]).toEqual([0, 0, 0]);
    expect(limiter.take('k')).toBe(1);
    now += 1000;
    expect(limiter.take('k')).toBe(0);
    expect(limiter.take('k')).toBeGreaterThan(0);
  });

  it('keeps one bucket per key', () => {
    const limiter = new TokenBucketLimiter(1, 1, () => 0);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThan(0);
    expect(limiter.take('b')).toBe(0);
  });

  it('forgets the least recently used key when the table is full instead of growing without bound', () => {
    const limiter = new TokenBucketLimiter(1, 0.001, () => 0, 2);
    limiter.take('a');
    limiter.take('b');
    limiter.take('c');
    expect(limiter.take('a')).toBe(0);
  });

  it('keeps a busy key\'s bucket through a flood of new keys that fills the table, so the flood cannot reset its limit', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(2, 0.001, () => now, 100);
    expect([limiter.take('busy'), limiter.take('busy'), limiter.take('busy') > 0]).toEqual([0, 0, true]);
    for (let i = 0; i < 1000; i++) {
      now += 1;
      limiter.take(`ip:flood-${i}`);
      if (i % 50 === 0) expect(limiter.take('busy')).toBeGreaterThan(0);
    }
    expect(limiter.take('busy')).toBeGreaterThan(0);
    expect([limiter.take('ip:flood-0'), limiter.take('ip:flood-0')]).toEqual([0, 0]); // forgotten: the table stays bounded
  });

  it('answers whether a take would be allowed without taking anything', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(2, 1, () => now);
    expect(limiter.wouldAllow('k')).toBe(true);
    expect([limiter.take('k'), limiter.take('k')]).toEqual([0, 0]);
    for (let i = 0; i < 3; i++) expect(limiter.wouldAllow('k')).toBe(false);
    now += 999;
    expect(limiter.wouldAllow('k')).toBe(false);
    now += 1;
    expect([limiter.wouldAllow('k'), limiter.wouldAllow('k')]).toEqual([true, true]);
    expect([limiter.take('k'), limiter.take('k') > 0]).toEqual([0, true]);
    expect(new TokenBucketLimiter(0.5, 1, () => 0).wouldAllow('new')).toBe(false);
  });
});
