/**
 * The closed audit vocabulary. Every state change writes one of these; adding a capability
 * means adding its names here, never free-form strings at the call site.
 */
export const AUDIT_ACTIONS = [
  'tenant.created',
  'tenant.updated',
  'tenant.suspended',
  'tenant.resumed',
  'tenant.deleted',
  'api_key.created',
  'api_key.revoked',
  'authz.assertions.written',
  'authz.model.written',
  'authz.store.purged',
  'authz.tuples.written',
  'authz.tuples.deleted',
  'directory.user.created',
  'directory.user.updated',
  'directory.user.deactivated',
  'directory.user.reactivated',
  'directory.user.deleted',
  'directory.user.deprovisioned',
  'directory.user.deprovision_completed',
  'directory.group.created',
  'directory.group.updated',
  'directory.group.deleted',
  'directory.group.members_added',
  'directory.group.members_removed',
  'directory.group_mapping.created',
  'directory.group_mapping.deleted',
  'scim.directory.created',
  'scim.directory.deleted',
  'scim.token.created',
  'scim.token.revoked',
  'oidc.app.created',
  'oidc.app.updated',
  'oidc.app.secret_rotated',
  'oidc.app.deleted',
  'oidc.keys.generated',
  'oidc.keys.rotated',
  'oidc.refresh_token.reuse_detected',
  'oidc.logout',
  'sso.connection.created',
  'sso.connection.updated',
  'sso.connection.deleted',
  'sso.connection.metadata_refreshed',
  'sso.connection.sessions_revoked',
  'sso.connection.sp_certificate_staged',
  'sso.connection.sp_certificate_activated',
  'sso.connection.sp_certificate_retired',
  'sso.connection.test_succeeded',
  'sso.connection.test_failed',
  'sso.domain.added',
  'sso.domain.verified',
  'sso.domain.verification_failed',
  'sso.domain.removed',
  'sso.settings.updated',
  'sso.login.succeeded',
  'sso.login.failed',
  'sso.user.linked',
  'sso.groups.mapped',
  'session.revoked',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function isAuditAction(value: string): value is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(value);
}

/** Who caused a change, and through which credential and connection. */
export interface Actor {
  type: 'platform_key' | 'tenant_key' | 'scim_token' | 'cli' | 'system' | 'user';
  id: string | null;
  credential_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
}

export const cliActor = (): Actor => ({
  type: 'cli',
  id: process.env.USER ?? null,
  credential_id: null,
  ip: null,
  user_agent: 'portcullis-cli',
  request_id: null,
});

export const systemActor = (): Actor => ({
  type: 'system',
  id: null,
  credential_id: null,
  ip: null,
  user_agent: null,
  request_id: null,
});

export interface AuditEventInput {
  action: AuditAction;
  target?: { type: string; id: string };
  before?: unknown;
  after?: unknown;
  metadata?: Record<string, unknown>;
}

/** An event as stored and as returned by the API and exports. */
export interface AuditEvent {
  id: string;
  tenant_id: string;
  seq: number;
  occurred_at: string;
  action: string;
  actor: { type: string; id: string | null; credential_id: string | null; ip: string | null; user_agent: string | null };
  request_id: string | null;
  target: { type: string; id: string } | null;
  before: unknown;
  after: unknown;
  metadata: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

/** The chain that holds events about the platform itself (platform keys). */
export const PLATFORM_CHAIN = 'platform';
