/**
 * Upstream discovery results, one per connection: the one for its current version (an edited
 * connection's older versions are dropped, not kept beside it), for at most `ttlMs`, and at most
 * `max` connections, the least recently used dropped first. Bounded whatever admins edit, and
 * however many tenants sign in.
 */
export class DiscoveryCache<T> {
  readonly #entries = new Map<string, { version: number; value: T; at: number }>();

  constructor(
    readonly max: number,
    readonly ttlMs: number,
  ) {}

  /** The value cached for this connection version, if still fresh; marks it recently used. */
  get(connectionId: string, version: number, now: number): T | undefined {
    const entry = this.#entries.get(connectionId);
    if (!entry || entry.version !== version || now - entry.at >= this.ttlMs) return undefined;
    this.#entries.delete(connectionId);
    this.#entries.set(connectionId, entry);
    return entry.value;
  }

  /** Caches `value` for this connection version, replacing whatever the connection had. */
  set(connectionId: string, version: number, value: T, now: number): void {
    this.#entries.delete(connectionId);
    this.#entries.set(connectionId, { version, value, at: now });
    // Maps iterate in insertion order: the first key is the least recently used.
    while (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  /** How many connections have an entry. */
  get size(): number {
    return this.#entries.size;
  }
}
