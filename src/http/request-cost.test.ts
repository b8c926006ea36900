import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MainThreadMeter } from './request-cost.ts';

/** Keeps the main thread busy for `ms` of real time (the meter's own clock). */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('main-thread cost of a piece of work', () => {
  it('charges the synchronous start and every continuation of the work, across awaits and timers', async () => {
    const meter = new MainThreadMeter();
    const ms = await meter.measure(async () => {
      spin(20);
      await Promise.resolve();
      spin(20);
      await sleep(1);
      spin(20);
      await new Promise<void>((resolve) => setImmediate(() => (spin(20), resolve())));
    });
    expect(ms).toBeGreaterThanOrEqual(80);
  });

  it('does not charge time spent waiting, nor other work that runs meanwhile', async () => {
    const meter = new MainThreadMeter();
    const waiting = meter.measure(() => sleep(150));
    const busy = meter.measure(async () => {
      await sleep(10);
      spin(100);
    });
    // Code outside any measurement, running while both wait.
    await sleep(20);
    spin(100);
    const [waited, spent] = await Promise.all([waiting, busy]);
    expect(spent).toBeGreaterThanOrEqual(100);
    // Either 100 ms spin charged to the wrong measurement would double these.
    expect(spent).toBeLessThan(190);
    expect(waited).toBeLessThan(80);
  });

  it('charges nested work to the innermost measurement only', async () => {
    const meter = new MainThreadMeter();
    let inner = 0;
    const outer = await meter.measure(async () => {
      spin(30);
      inner = await meter.measure(async () => {
        await Promise.resolve();
        spin(100);
      });
    });
    expect(inner).toBeGreaterThanOrEqual(100);
    expect(outer).toBeGreaterThanOrEqual(30);
    expect(outer).toBeLessThan(120);
  });

  it('settles with the cost when the work throws, synchronously or not', async () => {
    const meter = new MainThreadMeter();
    expect(await meter.measure(async () => (spin(20), Promise.reject(new Error('no'))))).toBeGreaterThanOrEqual(20);
    expect(
      await meter.measure(() => {
        spin(20);
        throw new Error('no');
      }),
    ).toBeGreaterThanOrEqual(20);
  });

  it('ignores what the work leaves running after it settled', async () => {
    const meter = new MainThreadMeter();
    let leftover!: Promise<void>;
    const ms = await meter.measure(async () => {
      leftover = sleep(5).then(() => spin(100));
    });
    await leftover;
    expect(ms).toBeLessThan(50);
    // The meter still works after the hook was switched off and on.
    expect(await meter.measure(async () => spin(20))).toBeGreaterThanOrEqual(20);
  });
});
