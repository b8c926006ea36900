import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../lib/clock.ts';
import { RecentWrites } from './consistency.ts';
import { openFgaStoreName } from './engine.ts';

describe('RecentWrites', () => {
  it('asks for higher consistency on a store written within the window, and only there', () => {
    const clock = new FakeClock();
    const recent = new RecentWrites(clock, 10_000);
    expect(recent.consistencyFor('A', undefined)).toBeUndefined();
    recent.markWritten('A');
    expect(recent.consistencyFor('A', undefined)).toBe('HIGHER_CONSISTENCY');
    expect(recent.consistencyFor('A', 'UNSPECIFIED')).toBe('HIGHER_CONSISTENCY');
    expect(recent.consistencyFor('B', undefined)).toBeUndefined();
    clock.advance(10_001);
    expect(recent.consistencyFor('A', undefined)).toBeUndefined();
  });

  it("keeps the caller's explicit preference", () => {
    const recent = new RecentWrites(new FakeClock(), 10_000);
    recent.markWritten('A');
    expect(recent.consistencyFor('A', 'MINIMIZE_LATENCY')).toBe('MINIMIZE_LATENCY');
  });
});

describe('openFgaStoreName', () => {
  it("fits any tenant name into OpenFGA's store name rules", () => {
    expect(openFgaStoreName('Acme GmbH')).toBe('Acme GmbH');
    expect(openFgaStoreName('Ünïcode & Co!')).toMatch(/^[a-zA-Z0-9\s.\-/^_&@]{3,64}$/);
    expect(openFgaStoreName('x')).toBe('x__');
    expect(openFgaStoreName('y'.repeat(100))).toHaveLength(64);
  });
});
