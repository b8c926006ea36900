import type { Migration } from './index.ts';

/**
 * What became of queued tuple work (`authz_pending_tuple_work`, 0019) that a process other than
 * the one that queued it applied (one drain per store across processes, 0020): written in the
 * transaction that takes the work off the queue, read (and deleted) by the queuing process,
 * whose request reports the count (a deprovisioning's `authz_tuples`, a mapping's
 * `tuples_deleted`) or the server's refusal. `queued_by` names the queuing process (its queue's
 * random id; NULL for work queued before this migration). `applied` is the number of tuples the
 * server changed; `error_*` the refusal when the work was discarded. Rows nobody collects (the
 * queuing process stopped) are deleted by the housekeeping after 10 minutes.
 */
export const authzPendingTupleOutcomes: Migration = {
  version: 22,
  name: 'authz_pending_tuple_outcomes',
  sql: `
ALTER TABLE authz_pending_tuple_work ADD COLUMN queued_by TEXT;
CREATE TABLE authz_pending_tuple_outcomes (
  seq INTEGER PRIMARY KEY,
  applied INTEGER,
  error_status INTEGER,
  error_code TEXT,
  error_message TEXT,
  recorded_at TEXT NOT NULL,
  CHECK ((applied IS NULL) = (error_code IS NOT NULL))
) STRICT;
CREATE INDEX authz_pending_tuple_outcomes_by_age ON authz_pending_tuple_outcomes (recorded_at);
`,
};
