import { describe, expect, it } from 'vitest';
import { boundedFanOut } from './fan-out.ts';

/** Deliveries that finish only when the test says so. */
function gatedDeliveries() {
  const started: number[] = [];
  const finished: number[] = [];
  const gates = new Map<number, () => void>();
  let inFlight = 0;
  let maxInFlight = 0;
  const deliver = (item: number) =>
    new Promise<void>((resolve) => {
      started.push(item);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      gates.set(item, () => {
        inFlight--;
        finished.push(item);
        resolve();
      });
    });
  const releaseStarted = async () => {
    for (const item of started) gates.get(item)?.();
    gates.clear();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { started, finished, deliver, releaseStarted, maxInFlight: () => maxInFlight };
}

describe('bounded fan-out', () => {
  it('runs at most `limit` deliveries at once, in order, until every item is delivered', async () => {
    const d = gatedDeliveries();
    const items = Array.from({ length: 20 }, (_, i) => i);
    const done = boundedFanOut(items, d.deliver, { limit: 8, waitMs: 60_000 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(d.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    while (d.finished.length < items.length) await d.releaseStarted();
    await done;
    expect(d.finished).toEqual(items);
    expect(d.maxInFlight()).toBe(8);
  });

  it('stops waiting after `waitMs` while deliveries hang, and the rest are still delivered afterwards', async () => {
    const d = gatedDeliveries();
    const items = Array.from({ length: 12 }, (_, i) => i);
    await boundedFanOut(items, d.deliver, { limit: 4, waitMs: 20 });
    expect([d.started.length, d.finished.length]).toEqual([4, 0]);
    while (d.finished.length < items.length) await d.releaseStarted();
    expect(d.finished).toEqual(items);
    expect(d.maxInFlight()).toBe(4);
  });

  it('treats a failed delivery as done and goes on with the next', async () => {
    const delivered: number[] = [];
    await boundedFanOut([1, 2, 3], async (n) => {
      if (n === 2) throw new Error('refused');
      delivered.push(n);
    }, { limit: 1, waitMs: 60_000 });
    expect(delivered).toEqual([1, 3]);
  });

  it('hands what still runs to carryOn when it stops waiting (it resolves once the last item is done), and nothing when all finished in time', async () => {
    const d = gatedDeliveries();
    let rest: Promise<void> | undefined;
    await boundedFanOut([1, 2, 3], d.deliver, { limit: 2, waitMs: 20, carryOn: (r) => (rest = r) });
    let restDone = false;
    void rest?.then(() => (restDone = true));
    await d.releaseStarted();
    expect([d.finished, restDone]).toEqual([[1, 2], false]);
    await d.releaseStarted();
    expect([d.finished, restDone]).toEqual([[1, 2, 3], true]);
    let handed = false;
    await boundedFanOut([1], async () => undefined, { limit: 1, waitMs: 60_000, carryOn: () => (handed = true) });
    expect(handed).toBe(false);
  });
});
