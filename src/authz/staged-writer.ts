import type { TupleKey, TupleKeyWithoutCondition } from '@openfga/sdk';
import type { Actor } from '../audit/events.ts';
import type { Staged } from '../lib/staged.ts';

/**
 * Tuple changes that other domains (SCIM, SSO) make as side effects of their own writes. Call
 * inside the caller's `storage.transaction`: the embedded engine applies them right there (they
 * commit or roll back with the directory change); the OpenFGA backend queues them there (the
 * queue commits or rolls back with the change) and applies its store's queue, in order, in
 * `flush`, which the caller awaits after commit and before responding, with higher consistency
 * after. Work whose flush failed stays queued until `finishPending` (or a later flush) applies it.
 * All changes are idempotent: writing an existing tuple or deleting a missing one is not an error.
 * Each engine decorates these with audit events (authz.tuples.written / authz.tuples.deleted),
 * attributed to `actor` when given (the SCIM request's actor), else to the system.
 */
export interface StagedTupleWriter {
  stage(storeId: string, change: { writes?: TupleKey[]; deletes?: TupleKeyWithoutCondition[] }, actor?: Actor): Staged<number>;
  /** Deletes every tuple whose user is `user` (`user:U`, and usersets such as `group:G#member` when given). */
  stageDeleteTuplesForUser(storeId: string, user: string, actor?: Actor): Staged<number>;
  /** Deletes every tuple whose object is `object` (e.g. `group:G` when the group is deleted). */
  stageDeleteTuplesForObject(storeId: string, object: string, actor?: Actor): Staged<number>;
  /**
   * Applies the work earlier changes of this store left queued (their flush failed: the remote
   * server was unreachable), oldest first; resolves at once when there is none, and always on
   * the embedded engine. Throws the server's error (503 `unavailable` when unreachable).
   */
  finishPending(storeId: string): Promise<void>;
  /** The housekeeping's pass over every store with queued work: how many stores, failed, and changes applied. */
  finishAllPending(): Promise<{ stores: number; failed: number; applied: number }>;
}
