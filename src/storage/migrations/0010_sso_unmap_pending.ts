import type { Migration } from './index.ts';

/**
 * Relations a connection's group mappings stopped naming whose removal from a remote OpenFGA
 * server has not succeeded yet (space-separated; null when none): retried by the next change of
 * the connection and by the server's housekeeping. Never set with the embedded engine, where the
 * removal commits with the change.
 */
export const ssoUnmapPending: Migration = {
  version: 10,
  name: 'sso_unmap_pending',
  sql: `
ALTER TABLE sso_connections ADD COLUMN unmap_pending TEXT;
`,
};
