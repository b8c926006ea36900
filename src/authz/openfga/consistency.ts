import { ConsistencyPreference } from '@openfga/sdk';
import type { Clock } from '../../lib/clock.ts';

const MAX_TRACKED_STORES = 10_000;

/**
 * Remembers which stores Portcullis wrote to recently. A query on such a store that did not ask
 * for a consistency runs with `HIGHER_CONSISTENCY`, so a check right after a write (a SCIM
 * deprovisioning, an API write) is not answered from the server's check cache. An explicit
 * preference from the caller is kept.
 */
export class RecentWrites {
  readonly #writtenAt = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  markWritten(storeId: string): void {
    this.#writtenAt.delete(storeId);
    this.#writtenAt.set(storeId, this.clock.now().getTime());
    if (this.#writtenAt.size > MAX_TRACKED_STORES) {
      const oldest = this.#writtenAt.keys().next().value;
      if (oldest !== undefined) this.#writtenAt.delete(oldest);
    }
  }

  consistencyFor(storeId: string, requested: ConsistencyPreference | string | undefined): ConsistencyPreference | undefined {
    if (requested !== undefined && requested !== 'UNSPECIFIED') return requested as ConsistencyPreference;
    const at = this.#writtenAt.get(storeId);
    if (at !== undefined && this.clock.now().getTime() - at <= this.windowMs) return ConsistencyPreference.HigherConsistency;
    return requested as ConsistencyPreference | undefined;
  }
}
