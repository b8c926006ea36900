import type { Migration } from './index.ts';

/**
 * Extras of the OpenFGA-compatible API on the embedded backend: assertions (expected check
 * answers) per authorization model, in order. Contextual tuples and context travel with an
 * assertion and are never queried, so they stay JSON.
 */
export const authzApi: Migration = {
  version: 5,
  name: 'authz_api',
  sql: `
CREATE TABLE authz_assertions (
  store_id TEXT NOT NULL,
  model_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  object TEXT NOT NULL,
  relation TEXT NOT NULL,
  user TEXT NOT NULL,
  expectation INTEGER NOT NULL CHECK (expectation IN (0, 1)),
  contextual_tuples_json TEXT NOT NULL,
  context_json TEXT,
  PRIMARY KEY (store_id, model_id, position)
) STRICT;
`,
};
