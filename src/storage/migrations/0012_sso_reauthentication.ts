import type { Migration } from './index.ts';

/**
 * Step-up: a login state remembers that the app asked for a fresh authentication (`prompt=login`,
 * or a `max_age` the session exceeded), so the IdP's answer can be held to it; a session keeps
 * when the person authenticated at the IdP (SAML `AuthnInstant`, OIDC `auth_time`), which the
 * ID token's `auth_time` reports. Rows from before: not forced, IdP time unknown.
 */
export const ssoReauthentication: Migration = {
  version: 12,
  name: 'sso_reauthentication',
  sql: `
ALTER TABLE sso_login_states ADD COLUMN forced_reauthentication INTEGER NOT NULL DEFAULT 0 CHECK (forced_reauthentication IN (0, 1));
ALTER TABLE sessions ADD COLUMN idp_authenticated_at TEXT;
`,
};
