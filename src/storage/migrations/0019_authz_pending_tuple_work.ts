import type { Migration } from './index.ts';

/**
 * Tuple changes owed to a remote OpenFGA server (`PORTCULLIS_AUTHZ=openfga`): written in the
 * transaction of the directory or SSO change that caused them, deleted once the server has taken
 * them. Drained per store in `seq` order (a removal queued while the server was down is applied
 * before a re-add queued after it). `kind` says what `work_json` holds: `change` the tuple keys to
 * write and delete, `delete_for_user` / `delete_for_object` the user or object whose every tuple
 * goes. `actor_json` is who caused it (the audit event written when it is applied is theirs).
 * Never written with the embedded engine, whose tuples commit with the change itself.
 */
export const authzPendingTupleWork: Migration = {
  version: 19,
  name: 'authz_pending_tuple_work',
  sql: `
CREATE TABLE authz_pending_tuple_work (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  store_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('change', 'delete_for_user', 'delete_for_object')),
  work_json TEXT NOT NULL,
  actor_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error_code TEXT,
  last_attempt_at TEXT
) STRICT;
CREATE INDEX authz_pending_tuple_work_by_store ON authz_pending_tuple_work (store_id, seq);
`,
};
