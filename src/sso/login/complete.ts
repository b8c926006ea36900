import type { Actor } from '../../audit/events.ts';
import { notTimed, type Untimed } from '../../lib/untimed.ts';
import type { Session } from '../../sessions/session.ts';
import type { Connection } from '../connections/connection.ts';
import type { IdpIdentity } from '../identity.ts';
import type { LoginDeps } from './deps.ts';
import { LoginFailure } from './failures.ts';
import { linkIdentity } from './linking.ts';
import { asMappingFailure, stageGroupRelations, withdrawOvertakenGrants } from './group-sync.ts';
import type { LoginState } from './state-store.ts';
import { DEFAULT_CLOCK_SKEW_SECONDS } from '../connections/service.ts';

/**
 * The end of a successful IdP leg: link (or provision) the user, map groups, create the session
 * bound to this tenant and connection, audit, all in one transaction; authorization side
 * effects that live outside SQLite are flushed before the session is handed to the login state
 * (if that fails, the session is revoked and the sign-in refused: `authz_unavailable`).
 */
export async function finishLogin(
  deps: LoginDeps,
  state: LoginState,
  seen: Connection,
  identity: IdpIdentity,
  actor: Actor,
  /** Runs first inside the transaction (the SAML replay cache), so a refused login leaves nothing behind. */
  guard: () => void = () => {},
  /** Runs the waits on a remote authorization server, left out of a caller's timing. */
  untimed: Untimed = notTimed,
): Promise<Session> {
  const forced = state.forced_reauthentication === 1;
  if (forced) checkReauthenticated(state, seen, identity);
  let flush: () => Promise<unknown> = async () => 0;
  let remote = false;
  let granted: string[] = [];
  let storeId = '';
  let connection = seen;
  const session = deps.storage.transaction(() => {
    guard();
    connection = currentConnection(deps, seen);
    const tenant = deps.storage.unscoped.tenants.findById(state.tenant_id);
    if (!tenant || tenant.status !== 'active') throw new LoginFailure('tenant_not_active', `tenant ${state.tenant_id} is not active`);
    const { user, linkedBy } = linkIdentity(deps, tenant.id, connection, identity, actor);
    const userActor = { ...actor, type: 'user' as const, id: user.id };
    const groups = stageGroupRelations(deps, tenant.authz_store_id, tenant.id, connection, user.id, identity.groups, identity.groups_overage ?? false, userActor);
    if (identity.groups_overage) {
      deps.logger.warn({ connection_id: connection.id, user_id: user.id }, 'IdP sent a groups overage marker instead of groups; mapped relations left unchanged');
    }
    flush = groups.staged.flush;
    remote = groups.staged.remote === true;
    granted = groups.granted;
    storeId = tenant.authz_store_id;
    const s = deps.sessions.create(
      {
        tenant_id: tenant.id,
        user_id: user.id,
        connection_id: connection.id,
        amr: identity.amr,
        acr: identity.acr,
        groups: identity.groups,
        idp_session_index: identity.idp_session_index,
        not_after: identity.idp_session_not_on_or_after,
        idp_authenticated_at: identity.idp_authenticated_at,
      },
    );
    // With nothing left to write elsewhere, the session is finished here: hand it over in this transaction.
    if (!remote) deps.states.setResult(state.id, s.id);
    if (linkedBy !== 'external_id') {
      deps.audit.record(tenant.id, { action: 'sso.user.linked', target: { type: 'user', id: user.id }, metadata: { linked_by: linkedBy, connection_id: connection.id, directory_id: user.directory_id, external_id: identity.external_id } }, userActor);
    }
    if (groups.granted.length + groups.removed.length > 0) {
      deps.audit.record(tenant.id, { action: 'sso.groups.mapped', target: { type: 'user', id: user.id }, metadata: { granted: groups.granted, removed: groups.removed, connection_id: connection.id } }, userActor);
    }
    deps.audit.record(
      tenant.id,
      {
        action: 'sso.login.succeeded',
        target: { type: 'user', id: user.id },
        metadata: {
          connection_id: connection.id,
          protocol: connection.protocol,
          session_id: s.id,
          linked_by: linkedBy,
          directory_id: user.directory_id,
          amr: identity.amr,
          acr: identity.acr,
          ...(identity.groups_overage ? { groups_overage: true, groups_unchanged: groups.unchanged } : {}),
          ...(identity.sha1_signature ? { sha1_signature: true } : {}),
          ...(forced ? { forced_reauthentication: true, idp_authenticated_at: identity.idp_authenticated_at?.toISOString() ?? null } : {}),
        },
      },
      userActor,
    );
    return s;
  });
  try {
    await untimed(flush);
    // A remote write lands after its commit: whatever a deactivation or mapping change did meanwhile must still hold.
    if (remote && granted.length > 0) {
      const { userActive } = await untimed(() => withdrawOvertakenGrants(deps, storeId, state.tenant_id, connection.id, session.user_id, identity.groups, granted));
      if (!userActive) throw new LoginFailure('user_deactivated', `user ${session.user_id} was deactivated while the sign-in wrote its roles`, { tenantId: state.tenant_id, userId: session.user_id });
    }
  } catch (err) {
    if (err instanceof LoginFailure) {
      deps.storage.transaction(() => deps.sessions.revokeOne(session, err.reason, actor));
      throw err;
    }
    // The roles could not be written to a remote authorization server: the sign-in fails as a whole.
    const invalid = asMappingFailure(err);
    const reason = invalid ? 'group_mapping_invalid' : 'authz_unavailable';
    deps.logger[invalid ? 'warn' : 'error']({ err, connection_id: connection.id, session_id: session.id }, 'mapped roles could not be written; sign-in refused');
    deps.storage.transaction(() => deps.sessions.revokeOne(session, reason, actor));
    throw invalid ?? new LoginFailure('authz_unavailable', `mapped roles could not be written to the authorization backend: ${(err as Error)?.message ?? String(err)}`);
  }
  // Only now may the browser take the session: before the roles were written it was not finished.
  if (remote) deps.states.setResult(state.id, session.id);
  return session;
}

/**
 * The connection as stored now, not as read when the IdP's answer arrived: the sign-in may have
 * waited for the IdP (OIDC token request) while an admin switched the connection off or changed
 * its group mappings. One row by primary key unless it changed. Call inside the transaction.
 */
function currentConnection(deps: LoginDeps, seen: Connection): Connection {
  const head = deps.connections.lookup.head(seen.id);
  const current = !head ? undefined : head.version === seen.version ? seen : deps.connections.repo(seen.tenant_id).find(seen.id);
  if (!current) throw new LoginFailure('connection_not_active', `connection ${seen.id} was deleted during the sign-in`);
  if (current.status !== 'active') throw new LoginFailure('connection_not_active', `connection ${seen.id} became ${current.status} during the sign-in`);
  return current;
}

/**
 * Step-up: the IdP was told to authenticate the person again (ForceAuthn, `prompt=login`). An
 * answer that says the authentication happened before that request (beyond the connection's
 * clock skew; OIDC connections have none of their own: the default) is an IdP that answered
 * from its session anyway: refused, rather than passed on as a fresh authentication or sent
 * round again. An answer that does not say when is taken as today (auth_time: this sign-in).
 */
function checkReauthenticated(state: LoginState, connection: Connection, identity: IdpIdentity): void {
  const at = identity.idp_authenticated_at;
  if (!at) return;
  const skew = connection.saml?.clock_skew_seconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  // In whole seconds: IdPs state the instant to the second (OIDC auth_time is in seconds).
  if (Math.floor(at.getTime() / 1000) >= Math.floor(Date.parse(state.created_at) / 1000) - skew) return;
  const asked = connection.protocol === 'saml' ? 'ForceAuthn' : 'prompt=login';
  throw new LoginFailure(
    'idp_reauthentication_not_performed',
    `the IdP was asked to re-authenticate (${asked}) at ${state.created_at} but reports an authentication at ${at.toISOString()}`,
  );
}
