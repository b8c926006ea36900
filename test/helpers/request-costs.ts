import type { Context } from 'hono';
import type { RequestCostMeter } from '../../src/http/request-cost.ts';

/**
 * A request cost meter whose answers the test decides, so budget tests need no timing: each
 * measured request costs `each` ms, unless costs were queued for the next ones. The work runs
 * as usual.
 */
export class ScriptedCosts implements RequestCostMeter {
  each = 0;
  readonly #queued: number[] = [];

  /** The next measured requests cost these (ms), in order. */
  queue(...ms: number[]): void {
    this.#queued.push(...ms);
  }

  async measure(_c: Context, work: () => Promise<unknown>): Promise<number> {
    try {
      await work();
    } catch {
      // As the real meter: the cost stands whatever the work did.
    }
    return this.#queued.shift() ?? this.each;
  }
}

/** `portcullis_rate_limited_total` for one realm, as the server at `origin` shows it on /metrics. */
export async function rateLimitedCount(origin: string, realm: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`portcullis_rate_limited_total{realm="${realm}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}
