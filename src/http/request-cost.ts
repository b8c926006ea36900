import type { Context } from 'hono';
import './context.ts';

/** How much of the server a piece of request handling took, for budgets charged by cost. */
export interface RequestCostMeter {
  /** Runs `work` (the rest of the request `c`) and resolves with the milliseconds it cost once it has settled (it never rejects). */
  measure(c: Context, work: () => Promise<unknown>): Promise<number>;
}

/**
 * The cost the route itself reported (`addRequestCost`), 0 when it reported none. Routes whose
 * work an unauthenticated sender can make expensive (the SAML ACS: XML signature verification)
 * time that work and report it; every other request costs only its budget's up-front part. No
 * process-wide instrumentation: an async_hooks meter of every request's main-thread time slowed
 * every other request of the process by a fifth while any sign-in was in flight.
 */
export class ReportedCost implements RequestCostMeter {
  async measure(c: Context, work: () => Promise<unknown>): Promise<number> {
    try {
      await work();
    } catch {
      // The caller learns about failures from `work` itself; the cost stands either way.
    }
    return c.get('requestCostMs') ?? 0;
  }
}

/** Adds `ms` to what the request is charged (see ReportedCost). */
export function addRequestCost(c: Context, ms: number): void {
  c.set('requestCostMs', (c.get('requestCostMs') ?? 0) + ms);
}

/**
 * Runs `work` and reports its elapsed time as the request's cost. For work that only computes
 * (no network waits), where elapsed time is main-thread time: continuations of promises that are
 * already settled run before any other request's I/O callbacks.
 */
export async function timedCost<T>(c: Context, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    addRequestCost(c, performance.now() - start);
  }
}
