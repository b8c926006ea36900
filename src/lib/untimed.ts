/**
 * Runs `wait` (network I/O: another server's answer) with its time left out of the work being
 * timed around it (src/http/request-cost.ts `timedCost`): what a request is charged is the work it
 * made this process do, not how long another server took. Call one at a time.
 */
export type Untimed = <T>(wait: () => Promise<T>) => Promise<T>;

/** Runs `wait` as is: for callers that time nothing. */
export const notTimed: Untimed = (wait) => wait();
