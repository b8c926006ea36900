import type { Migration } from './index.ts';

/**
 * A session keeps the end its IdP set (SAML `SessionNotOnOrAfter`) apart from its own lifetime:
 * refresh tokens may outlive the browser session, never the IdP's. Sessions from before keep no
 * bound (their refresh tokens refresh as before, until they expire or are revoked).
 */
export const sessionIdpEnd: Migration = {
  version: 17,
  name: 'session_idp_end',
  sql: `
ALTER TABLE sessions ADD COLUMN idp_session_ends_at TEXT;
`,
};
