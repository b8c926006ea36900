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

  async measure(work: () => Promise<unknown>): Promise<number> {
    try {
      await work();
    } catch {
      // As the real meter: the cost stands whatever the work did.
    }
    return this.#queued.shift() ?? this.each;
  }
}
