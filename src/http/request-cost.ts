import { AsyncLocalStorage, createHook } from 'node:async_hooks';

/** How much of the server a piece of request handling took, for budgets charged by cost. */
export interface RequestCostMeter {
  /** Runs `work` and resolves with the milliseconds it cost once it has settled (it never rejects). */
  measure(work: () => Promise<unknown>): Promise<number>;
}

/**
 * The main-thread time spent running `work`'s own code: its synchronous start and every callback
 * and promise continuation that descends from it. Time it spends waiting (for the request body,
 * an upstream IdP, a back-channel delivery, the database lock of another process) costs nothing,
 * and neither does the code of other requests that run meanwhile, which a wall-clock or
 * process-CPU measure would charge to whichever request was waiting at the time.
 *
 * It follows execution with async_hooks' before/after callbacks, switched on only while at least
 * one measurement is running. A measurement includes pre-emption by the OS and garbage collection
 * that happen during its callbacks; it ignores work its code leaves running after `work` settled.
 */
export class MainThreadMeter implements RequestCostMeter {
  readonly #context = new AsyncLocalStorage<Ledger>();
  readonly #hook = createHook({
    before: (asyncId) => this.#enter(asyncId, this.#context.getStore()),
    after: (asyncId) => this.#exit(asyncId),
  });
  // The callbacks running now, innermost last (a callback may run another synchronously).
  readonly #ids: number[] = [];
  readonly #ledgers: (Ledger | undefined)[] = [];
  #since = 0;
  #running = 0;

  async measure(work: () => Promise<unknown>): Promise<number> {
    const ledger: Ledger = { ms: 0, open: true };
    if (this.#running++ === 0) this.#hook.enable();
    let settled: Promise<unknown>;
    this.#enter(SYNCHRONOUS_START, ledger);
    try {
      settled = this.#context.run(ledger, work);
    } catch (err) {
      settled = Promise.reject(err);
    } finally {
      this.#exit(SYNCHRONOUS_START);
    }
    try {
      await settled;
    } catch {
      // The caller learns about failures from `work` itself; the cost stands either way.
    } finally {
      ledger.open = false;
      if (--this.#running === 0) {
        this.#hook.disable();
        this.#ids.length = 0;
        this.#ledgers.length = 0;
      }
    }
    return ledger.ms;
  }

  #enter(asyncId: number, ledger: Ledger | undefined): void {
    const now = performance.now();
    this.#charge(now);
    // Callbacks nest a few deep; a stack this deep lost its `after`s (an uncaught exception): start again.
    if (this.#ids.length >= MAX_DEPTH) this.#ids.length = this.#ledgers.length = 0;
    this.#ids.push(asyncId);
    this.#ledgers.push(ledger?.open ? ledger : undefined);
    this.#since = now;
  }

  #exit(asyncId: number): void {
    const at = this.#ids.lastIndexOf(asyncId);
    // A callback that began before the hook was switched on ends unseen.
    if (at < 0) return;
    const now = performance.now();
    this.#charge(now);
    this.#ids.length = at;
    this.#ledgers.length = at;
    this.#since = now;
  }

  /** Charges the time since the last switch to the innermost running callback's ledger. */
  #charge(now: number): void {
    const ledger = this.#ledgers[this.#ledgers.length - 1];
    if (ledger?.open) ledger.ms += now - this.#since;
  }
}

interface Ledger {
  ms: number;
  open: boolean;
}

const MAX_DEPTH = 1024;

/** Stands for `measure`'s own synchronous call of `work` on the callback stack (async ids are positive). */
const SYNCHRONOUS_START = -1;
