import type { Clock } from './clock.ts';

/**
 * Decides when a credential's `last_used_at` is worth writing: at most once per interval per
 * id, so that authenticating a request does not turn every read into a write.
 */
export class TouchThrottle {
  readonly #last = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs = 60_000,
    private readonly maxIds = 100_000,
  ) {}

  /** The time to record for `id`, or undefined when it was recorded recently. */
  due(id: string): Date | undefined {
    const now = this.clock.now().getTime();
    const last = this.#last.get(id);
    if (last !== undefined && now - last < this.intervalMs) return undefined;
    if (this.#last.size >= this.maxIds) this.#last.clear();
    this.#last.set(id, now);
    return new Date(now);
  }
}
