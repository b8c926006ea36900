/**
 * Token buckets keyed by credential (and by client IP for failed authentication): `burst`
 * tokens, refilled at `perSecond`. In memory, per process. When the table is full the least
 * recently used key is forgotten (a forgotten key starts again with a full bucket), so a flood
 * of new keys (addresses, credentials) cannot reset the limit of a key in use.
 *
 * `charge` takes tokens after the fact (work whose cost is known once done) and may leave a
 * bucket in debt, down to minus one burst: the key is refused until the debt is refilled.
 */
export class TokenBucketLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly maxKeys = 100_000,
  ) {}

  /** Whether `take` would allow `key` now; takes nothing. */
  wouldAllow(key: string, cost = 1): boolean {
    const bucket = this.#buckets.get(key);
    if (!bucket) return this.burst >= cost;
    return this.#refill(bucket.tokens, this.now() - bucket.at) >= cost;
  }

  /** The seconds until `key` has `cost` tokens (0: it has them now); takes nothing. */
  waitFor(key: string, cost = 1): number {
    const bucket = this.#buckets.get(key);
    const tokens = bucket ? this.#refill(bucket.tokens, this.now() - bucket.at) : this.burst;
    return tokens >= cost ? 0 : Math.max(1, Math.ceil((cost - tokens) / this.perSecond));
  }

  /** Takes `cost` tokens (one by default). Returns 0 when allowed, else the seconds until they are available. */
  take(key: string, cost = 1): number {
    const bucket = this.#current(key);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil((cost - bucket.tokens) / this.perSecond));
  }

  /** Takes `cost` tokens whatever the balance, down to a debt of one burst. */
  charge(key: string, cost: number): void {
    if (cost <= 0) return;
    const bucket = this.#current(key);
    bucket.tokens = Math.max(-this.burst, bucket.tokens - cost);
  }

  /** The key's bucket, refilled up to now and moved to the most recently used end of the table. */
  #current(key: string): { tokens: number; at: number } {
    const now = this.now();
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.maxKeys) this.#evictLeastRecentlyUsed();
      bucket = { tokens: this.burst, at: now };
      this.#buckets.set(key, bucket);
      return bucket;
    }
    bucket.tokens = this.#refill(bucket.tokens, now - bucket.at);
    bucket.at = now;
    // Map order is insertion order: moving the key to the end keeps the table in order of use.
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    return bucket;
  }

  #refill(tokens: number, elapsedMs: number): number {
    return Math.min(this.burst, tokens + (Math.max(0, elapsedMs) / 1000) * this.perSecond);
  }

  #evictLeastRecentlyUsed(): void {
    const least = this.#buckets.keys().next();
    if (!least.done) this.#buckets.delete(least.value);
  }
}
