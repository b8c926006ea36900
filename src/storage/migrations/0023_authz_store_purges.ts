import type { Migration } from './index.ts';

/**
 * Authorization stores of deleted tenants, to be purged by the housekeeping: written in the
 * tenant-deletion transaction, `purged_at` set (with the `authz.store.purged` audit event) once
 * no row of the store is left (embedded engine, deleted in bounded batches) or the OpenFGA server
 * deleted the store (or no longer had it). `tuples_deleted` and `queued_work_dropped` add up
 * across passes; `attempts` / `last_error_code` tell a purge that keeps failing (server down).
 * Tenants deleted before this migration get a row each: their stores were kept, unreachable.
 */
export const authzStorePurges: Migration = {
  version: 23,
  name: 'authz_store_purges',
  sql: `
CREATE TABLE authz_store_purges (
  store_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  purged_at TEXT,
  tuples_deleted INTEGER NOT NULL DEFAULT 0,
  queued_work_dropped INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error_code TEXT,
  last_attempt_at TEXT
) STRICT;
CREATE INDEX authz_store_purges_pending ON authz_store_purges (requested_at, store_id) WHERE purged_at IS NULL;
INSERT INTO authz_store_purges (store_id, tenant_id, requested_at)
  SELECT authz_store_id, id, COALESCE(deleted_at, updated_at) FROM tenants WHERE status = 'deleted';
`,
};
