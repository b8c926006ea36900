import { setImmediate as yieldToOthers } from 'node:timers/promises';
import type { Storage } from '../../storage/storage.ts';
import type { OpenFgaEngine } from '../openfga/engine.ts';
import { SqlitePendingTupleWork } from '../openfga/pending-store.ts';
import { OpenFgaError } from '../errors.ts';
import { deleteEmbeddedStoreBatch, retireEmbeddedStore } from './embedded-rows.ts';

/** What one step of a store's purge did. */
export interface PurgeProgress {
  tuplesDeleted: number;
  queuedWorkDropped: number;
  done: boolean;
  /** OpenFGA backend: whether the server deleted the store or no longer had it (404). */
  server?: 'deleted' | 'not_found';
}

/** How many batches the rest of a housekeeping pass may still run (shared by the stores it purges). */
export interface PassBudget {
  batches: number;
}

/** How a backend removes a deleted tenant's store. */
export interface StoreRemover {
  readonly backend: 'embedded' | 'openfga';
  /** Inside the tenant-deletion transaction: hides the store and does the first, bounded part. */
  retire(storeId: string, at: string): PurgeProgress;
  /** One housekeeping pass's part, within `budget`; throws (an OpenFgaError for the server's) when it failed. */
  step(storeId: string, budget: PassBudget): Promise<PurgeProgress>;
  /** Inside a transaction before each step: drops work queued for the store since (a request in flight at the deletion); returns how much. */
  dropQueuedWork?(storeId: string): number;
}

/** Rows per batch, and batches per housekeeping pass, on the embedded engine. */
export interface EmbeddedPurgeLimits {
  batchSize: number;
  batchesPerPass: number;
}

/** The embedded engine: the store's rows go in batches, each its own short write transaction. */
export function embeddedStoreRemover(storage: Storage, limits: EmbeddedPurgeLimits): StoreRemover {
  const none = { tuplesDeleted: 0, queuedWorkDropped: 0 };
  return {
    backend: 'embedded',
    retire(storeId, at) {
      retireEmbeddedStore(storage.sql, storeId, at);
      const batch = deleteEmbeddedStoreBatch(storage.sql, storeId, limits.batchSize);
      return { ...none, tuplesDeleted: batch.tuples, done: batch.done };
    },
    async step(storeId, budget) {
      let tuplesDeleted = 0;
      while (budget.batches > 0) {
        budget.batches--;
        const batch = storage.transaction(() => deleteEmbeddedStoreBatch(storage.sql, storeId, limits.batchSize));
        tuplesDeleted += batch.tuples;
        if (batch.done) return { ...none, tuplesDeleted, done: true };
        // Requests waiting for the write lock (or the event loop) go between two batches.
        await yieldToOthers();
      }
      return { ...none, tuplesDeleted, done: false };
    },
  };
}

/** The OpenFGA backend: the queued work for the store is dropped, and the server deletes the store (a 404 counts as done). */
export function openFgaStoreRemover(storage: Storage, engine: OpenFgaEngine): StoreRemover {
  const queue = new SqlitePendingTupleWork(storage.sql);
  return {
    backend: 'openfga',
    retire(storeId) {
      return { tuplesDeleted: 0, queuedWorkDropped: queue.dropStore(storeId), done: false };
    },
    dropQueuedWork: (storeId) => queue.dropStore(storeId),
    async step(storeId, budget) {
      budget.batches--;
      try {
        await engine.deleteStore(storeId);
        return { tuplesDeleted: 0, queuedWorkDropped: 0, done: true, server: 'deleted' };
      } catch (err) {
        if (err instanceof OpenFgaError && err.status === 404) return { tuplesDeleted: 0, queuedWorkDropped: 0, done: true, server: 'not_found' };
        throw err;
      }
    },
  };
}
