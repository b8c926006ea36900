import type { Migration } from './index.ts';

/**
 * SSO federation and the OpenID Provider: signing keys, oidc-provider's own records, apps
 * (OIDC clients), connections (SAML / upstream OIDC) per tenant, verified domains, login
 * states, the SAML replay cache and sessions bound to a tenant and a connection.
 */
export const sso: Migration = {
  version: 4,
  name: 'sso',
  sql: `
CREATE TABLE oidc_signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL CHECK (alg IN ('ES256', 'RS256')),
  status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
  private_jwk_sealed TEXT NOT NULL,
  created_at TEXT NOT NULL,
  retired_at TEXT,
  expires_at TEXT
) STRICT;
CREATE INDEX oidc_signing_keys_by_status ON oidc_signing_keys (status, created_at);

CREATE TABLE oidc_models (
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  client_id TEXT,
  uid TEXT,
  user_code TEXT,
  account_id TEXT,
  expires_at INTEGER,
  consumed_at INTEGER,
  PRIMARY KEY (model, id)
) STRICT;
CREATE INDEX oidc_models_by_grant ON oidc_models (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_models_by_client ON oidc_models (client_id) WHERE client_id IS NOT NULL;
CREATE INDEX oidc_models_by_uid ON oidc_models (model, uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_models_by_expiry ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE oidc_apps (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  name TEXT NOT NULL,
  secret_hash TEXT,
  token_endpoint_auth_method TEXT NOT NULL CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
  grant_types TEXT NOT NULL,
  authz_scopes TEXT NOT NULL,
  multi_tenant INTEGER NOT NULL DEFAULT 0 CHECK (multi_tenant IN (0, 1)),
  backchannel_logout_uri TEXT,
  initiate_login_uri TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
) STRICT;
CREATE INDEX oidc_apps_by_tenant ON oidc_apps (tenant_id, id);

CREATE TABLE oidc_app_uris (
  app_id TEXT NOT NULL REFERENCES oidc_apps (id),
  kind TEXT NOT NULL CHECK (kind IN ('redirect', 'post_logout_redirect')),
  uri TEXT NOT NULL,
  PRIMARY KEY (app_id, kind, uri)
) STRICT, WITHOUT ROWID;

CREATE TABLE sso_tenant_settings (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
  jit_provisioning INTEGER NOT NULL DEFAULT 0 CHECK (jit_provisioning IN (0, 1)),
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE sso_domains (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  domain TEXT NOT NULL,
  verification_token TEXT NOT NULL,
  verified_at TEXT,
  created_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX sso_domains_per_tenant ON sso_domains (tenant_id, domain);
CREATE UNIQUE INDEX sso_domains_verified ON sso_domains (domain) WHERE verified_at IS NOT NULL;

CREATE TABLE sso_connections (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  name TEXT NOT NULL,
  protocol TEXT NOT NULL CHECK (protocol IN ('saml', 'oidc')),
  status TEXT NOT NULL CHECK (status IN ('testing', 'active', 'inactive')),
  attribute_preset TEXT NOT NULL CHECK (attribute_preset IN ('generic', 'okta', 'entra')),
  version INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
) STRICT;
CREATE INDEX sso_connections_by_tenant ON sso_connections (tenant_id, id);

CREATE TABLE sso_saml_settings (
  connection_id TEXT PRIMARY KEY REFERENCES sso_connections (id),
  idp_entity_id TEXT NOT NULL,
  idp_sso_url TEXT NOT NULL,
  metadata_url TEXT,
  metadata_refreshed_at TEXT,
  metadata_error TEXT,
  want_assertions_signed INTEGER NOT NULL CHECK (want_assertions_signed IN (0, 1)),
  want_response_signed INTEGER NOT NULL CHECK (want_response_signed IN (0, 1)),
  allow_idp_initiated INTEGER NOT NULL DEFAULT 0 CHECK (allow_idp_initiated IN (0, 1)),
  idp_initiated_app_id TEXT REFERENCES oidc_apps (id),
  clock_skew_seconds INTEGER NOT NULL CHECK (clock_skew_seconds BETWEEN 0 AND 600),
  sp_private_key_sealed TEXT NOT NULL,
  sp_certificate TEXT NOT NULL
) STRICT;

CREATE TABLE sso_saml_idp_certs (
  connection_id TEXT NOT NULL REFERENCES sso_connections (id),
  fingerprint TEXT NOT NULL,
  pem TEXT NOT NULL,
  not_after TEXT,
  PRIMARY KEY (connection_id, fingerprint)
) STRICT, WITHOUT ROWID;

CREATE TABLE sso_oidc_settings (
  connection_id TEXT PRIMARY KEY REFERENCES sso_connections (id),
  issuer TEXT NOT NULL,
  client_id TEXT NOT NULL,
  client_secret_sealed TEXT,
  scopes TEXT NOT NULL,
  entra_multi_tenant INTEGER NOT NULL DEFAULT 0 CHECK (entra_multi_tenant IN (0, 1)),
  allowed_entra_tenants TEXT
) STRICT;

CREATE TABLE sso_attribute_mappings (
  connection_id TEXT NOT NULL REFERENCES sso_connections (id),
  attribute TEXT NOT NULL CHECK (attribute IN ('external_id', 'email', 'given_name', 'family_name', 'name', 'groups')),
  source TEXT NOT NULL,
  PRIMARY KEY (connection_id, attribute)
) STRICT, WITHOUT ROWID;

CREATE TABLE sso_group_mappings (
  connection_id TEXT NOT NULL REFERENCES sso_connections (id),
  idp_group TEXT NOT NULL,
  relation TEXT NOT NULL,
  PRIMARY KEY (connection_id, idp_group, relation)
) STRICT, WITHOUT ROWID;

CREATE TABLE sso_connection_tests (
  connection_id TEXT PRIMARY KEY REFERENCES sso_connections (id),
  tested_at TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
  reason TEXT,
  received_json TEXT NOT NULL
) STRICT;

CREATE TABLE sso_login_states (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  connection_id TEXT NOT NULL REFERENCES sso_connections (id),
  purpose TEXT NOT NULL CHECK (purpose IN ('login', 'test', 'idp_initiated')),
  interaction_uid TEXT,
  request_id TEXT,
  nonce TEXT,
  code_verifier TEXT,
  result_session_id TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  consumed_at TEXT,
  completed_at TEXT
) STRICT;
CREATE INDEX sso_login_states_expiry ON sso_login_states (expires_at);

CREATE TABLE saml_replay_cache (
  connection_id TEXT NOT NULL,
  assertion_id TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  PRIMARY KEY (connection_id, assertion_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  user_id TEXT NOT NULL,
  connection_id TEXT NOT NULL REFERENCES sso_connections (id),
  oidc_session_uid TEXT,
  amr TEXT NOT NULL,
  acr TEXT NOT NULL,
  groups TEXT NOT NULL,
  idp_session_index TEXT,
  authenticated_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT,
  revoked_reason TEXT
) STRICT;
CREATE INDEX sessions_by_user ON sessions (tenant_id, user_id);
CREATE INDEX sessions_by_oidc_uid ON sessions (oidc_session_uid) WHERE oidc_session_uid IS NOT NULL;

CREATE TABLE session_grants (
  grant_id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions (id),
  client_id TEXT NOT NULL
) STRICT;
CREATE INDEX session_grants_by_session ON session_grants (session_id);
`,
};
