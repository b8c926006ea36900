import type { Migration } from './index.ts';

/**
 * The embedded authorization engine: stores, authorization models, relationship tuples and the
 * changelog. Every row carries `store_id` and every statement filters by it.
 *
 * Tuples are split into typed columns and indexed for both directions the evaluator walks:
 * the primary key (object → users) serves Check, Expand and ListUsers; `authz_tuples_by_user`
 * (user → objects) serves ListObjects and deleting a user's tuples. `user_relation` is '' for
 * plain objects and typed wildcards (`user:*`), so the keys stay NOT NULL.
 */
export const authz: Migration = {
  version: 2,
  name: 'authz',
  sql: `
CREATE TABLE authz_stores (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
) STRICT;

CREATE TABLE authz_models (
  store_id TEXT NOT NULL REFERENCES authz_stores (id),
  id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  schema_version TEXT NOT NULL,
  model_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (store_id, id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX authz_models_by_seq ON authz_models (store_id, seq);

CREATE TABLE authz_tuples (
  store_id TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  relation TEXT NOT NULL,
  user_type TEXT NOT NULL,
  user_id TEXT NOT NULL,
  user_relation TEXT NOT NULL,
  condition_name TEXT NOT NULL,
  condition_context TEXT,
  inserted_at TEXT NOT NULL,
  PRIMARY KEY (store_id, object_type, object_id, relation, user_type, user_id, user_relation)
) STRICT, WITHOUT ROWID;
CREATE INDEX authz_tuples_by_user ON authz_tuples (store_id, user_type, user_id, user_relation, object_type, relation);

CREATE TABLE authz_changes (
  id INTEGER PRIMARY KEY,
  store_id TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  relation TEXT NOT NULL,
  user TEXT NOT NULL,
  condition_name TEXT NOT NULL,
  condition_context TEXT,
  operation TEXT NOT NULL CHECK (operation IN ('write', 'delete')),
  occurred_at TEXT NOT NULL,
  occurred_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX authz_changes_by_store ON authz_changes (store_id, id);
CREATE INDEX authz_changes_by_type ON authz_changes (store_id, object_type, id);
CREATE INDEX authz_changes_by_time ON authz_changes (store_id, occurred_ms, id);
`,
};
