import type { Migration } from './index.ts';

/**
 * OIDC connections get `allowed_google_domains`: the Google Workspace domains (the ID token's
 * `hd` claim) whose accounts may sign in (space-separated; null when none). Google's issuer signs
 * in any Google account, so a connection to it must list them; one stored before has none and
 * signs nobody in until an admin lists them.
 */
export const oidcGoogleDomains: Migration = {
  version: 18,
  name: 'oidc_google_domains',
  sql: `
ALTER TABLE sso_oidc_settings ADD COLUMN allowed_google_domains TEXT;
`,
};
