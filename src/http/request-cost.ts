import type { Context } from 'hono';
import type { Untimed } from '../lib/untimed.ts';
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
 * What a per-address budget lends the route for the work it times (set by the budget middleware,
 * src/http/client-budget.ts): a last check before expensive work and the charge right after it,
 * so requests admitted together (their headers arrived before any body) cannot all run the work
 * before the first of them has been charged.
 */
export interface CostAccount {
  /** The answer refusing this request (429, Retry-After) when its address cannot pay for more work now; else undefined. */
  refusal(): Response | undefined;
  /** Charges `ms` of work to the address now. */
  charge(ms: number): void;
}

/** The refusal for a request whose address is out of budget now (see CostAccount), to answer instead of running expensive work. */
export function overBudget(c: Context): Response | undefined {
  return c.get('costAccount')?.refusal();
}

/**
 * Runs `work` and reports its elapsed time as the request's cost, charged to the address as soon
 * as it is known (CostAccount), not once the response is sent. For work that computes, where
 * elapsed time is main-thread time: continuations of promises that are already settled run
 * before any other request's I/O callbacks. A network wait inside it goes through `untimed`, so
 * neither the other server's time nor what other requests ran meanwhile is charged.
 */
export async function timedCost<T>(c: Context, work: (untimed: Untimed) => Promise<T>): Promise<T> {
  let start = performance.now();
  const lap = () => {
    const ms = performance.now() - start;
    addRequestCost(c, ms);
    c.get('costAccount')?.charge(ms);
  };
  const untimed: Untimed = async (wait) => {
    lap();
    try {
      return await wait();
    } finally {
      start = performance.now();
    }
  };
  try {
    return await work(untimed);
  } finally {
    lap();
  }
}
