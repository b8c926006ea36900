import type { Migration } from './index.ts';

/**
 * Which process drains a store's queue of tuple work (`authz_pending_tuple_work`, 0019): one at
 * a time across every process over the data directory, so the queue's order holds there too (a
 * write sent slowly by one process landing after the delete another process applied behind it
 * would leave the tuple in place). `owner` is a drain's random id; the lease is renewed while
 * the drain runs and lapses at `expires_at` (ISO 8601, UTC) when its process died.
 */
export const authzPendingTupleDrains: Migration = {
  version: 20,
  name: 'authz_pending_tuple_drains',
  sql: `
CREATE TABLE authz_pending_tuple_drains (
  store_id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at TEXT NOT NULL
) STRICT;
`,
};
