import type { Context, MiddlewareHandler } from 'hono';
import type { Clock } from '../lib/clock.ts';
import type { Metrics } from '../observability/metrics.ts';
import { clientAddressKey } from './client-address.ts';
import { TokenBucketLimiter } from './rate-limiter.ts';
import type { RequestCostMeter } from './request-cost.ts';
import './context.ts';

/** How much handler time one client address may use. */
export interface ClientBudgetSettings {
  /** Handler time (ms) an address earns back per second. */
  msPerSecond: number;
  /** The most handler time (ms) an address can have saved up, and the most it can owe. */
  burstMs: number;
  /**
   * What a request costs at least (ms): taken before it runs, so an address out of budget is
   * refused without running anything. Time the request takes beyond it is charged afterwards.
   */
  requestMs: number;
}

/**
 * A budget of handler time per client address (`clientAddressKey`), charged by what each request
 * cost: `requestMs` up front, the rest once it has run, measured by `meter`. An address that spent
 * more than it had owes the difference and is refused until it has earned it back, so a few very
 * expensive requests shut it out for as long as they took (times the refill ratio), while
 * ordinary requests cost only their up-front part. Refills follow the service clock.
 */
export class ClientBudget {
  readonly #limiter: TokenBucketLimiter;

  constructor(
    /** Names the budget in the `portcullis_rate_limited_total` counter. */
    readonly realm: string,
    readonly settings: ClientBudgetSettings,
    clock: Clock,
    readonly meter: RequestCostMeter,
    maxAddresses?: number,
  ) {
    this.#limiter = new TokenBucketLimiter(settings.burstMs, settings.msPerSecond, () => clock.now().getTime(), maxAddresses);
  }

  /** Takes a request's up-front cost from the address: 0 when admitted, else the seconds until it would be. */
  admit(address: string | null): number {
    return this.#limiter.take(clientAddressKey(address), this.settings.requestMs);
  }

  /** The seconds until the address could pay for a request again (0: now); takes nothing. */
  wait(address: string | null): number {
    return this.#limiter.waitFor(clientAddressKey(address), this.settings.requestMs);
  }

  /** Charges `costMs` to the address now (work an admitted request did). */
  charge(address: string | null, costMs: number): void {
    this.#limiter.charge(clientAddressKey(address), costMs);
  }

  /** Charges what an admitted request cost beyond its up-front part and the `chargedMs` already charged. */
  settle(address: string | null, costMs: number, chargedMs = 0): void {
    this.#limiter.charge(clientAddressKey(address), costMs - this.settings.requestMs - chargedMs);
  }
}

export interface ClientBudgetOptions {
  /** The budget a request draws from, or undefined to let it through uncounted. */
  budgetFor: (c: Context) => ClientBudget | undefined;
  /** The answer to a request refused for `retryAfterSeconds`, in the shape its route speaks; carries the status and `Retry-After`. */
  refuse: (c: Context, retryAfterSeconds: number) => Response;
  metrics: Metrics;
}

/**
 * Charges each request to its client address's budget (the address the request context resolved,
 * `PORTCULLIS_TRUST_PROXY` applied) and refuses an address out of budget with 429 and
 * `Retry-After`. Reads no body: the route behind may need the raw stream.
 */
export function clientBudget(options: ClientBudgetOptions): MiddlewareHandler {
  const { budgetFor, refuse, metrics } = options;
  return async function clientBudgetMiddleware(c, next) {
    const budget = budgetFor(c);
    if (!budget) return next();
    const address = c.get('clientIp');
    const refusal = (wait: number) => {
      metrics.rateLimited.inc({ realm: budget.realm });
      // The access log has the request already; one line per refusal of a flood stays at debug.
      c.get('log')?.debug({ request_id: c.get('requestId'), realm: budget.realm, retry_after: wait }, 'client address over its budget');
      return refuse(c, wait);
    };
    const wait = budget.admit(address);
    if (wait > 0) return refusal(wait);
    let charged = 0;
    c.set('costAccount', {
      refusal: () => {
        const later = budget.wait(address);
        return later > 0 ? refusal(later) : undefined;
      },
      charge: (ms) => {
        charged += ms;
        budget.charge(address, ms);
      },
    });
    budget.settle(address, await budget.meter.measure(c, next), charged);
  };
}
