/**
 * Token buckets keyed by credential (and by client IP for failed authentication): `burst`
 * tokens, refilled at `perSecond`. In memory, per process. When the table is full the least
 * recently used key is forgotten (a forgotten key starts again with a full bucket), so a flood
 * of new keys (addresses, credentials) cannot reset the limit of a key in use.
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
  wouldAllow(key: string): boolean {
    const bucket = this.#buckets.get(key);
    if (!bucket) return this.burst >= 1;
    return Math.min(this.burst, bucket.tokens + ((this.now() - bucket.at) / 1000) * this.perSecond) >= 1;
  }

  /** Takes one token. Returns 0 when allowed, else the seconds until a token is available. */
  take(key: string): number {
    const now = this.now();
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.maxKeys) this.#evictLeastRecentlyUsed();
      bucket = { tokens: this.burst, at: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
      // Map order is insertion order: moving the key to the end keeps the table in order of use.
      this.#buckets.delete(key);
      this.#buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  #evictLeastRecentlyUsed(): void {
    const least = this.#buckets.keys().next();
    if (!least.done) this.#buckets.delete(least.value);
  }
}
