import type { Sql } from '../../storage/database.ts';
import type { Actor } from '../../audit/events.ts';
import type { Clock } from '../../lib/clock.ts';
import { stagedDone, type Staged } from '../../lib/staged.ts';
import type { SessionService } from '../../sessions/service.ts';
import type { LogoutNotice, Session } from '../../sessions/session.ts';

/** The `session.revoked` reason for a sign-in a change of directory bindings no longer allows. */
export const BINDING_REVOCATION_REASON = 'directory_binding_changed';
/** The `session.revoked` reason for a sign-in through a connection since deleted. */
export const DELETION_REVOCATION_REASON = 'connection_deleted';
/** The `session.revoked` reason when an admin signs out everyone who signed in through a connection. */
export const ADMIN_REVOCATION_REASON = 'connection_sessions_revoked';

/**
 * Ends the sign-ins that a connection change (a binding set, moved or removed) no longer allows,
 * in the request that made the change, as deprovisioning does — sessions with back-channel
 * logout, and the grants, refresh tokens, access tokens and codes obtained through them — but
 * per session, not per user: what the user obtained through allowed connections stays, and so
 * do the user's authorization tuples.
 *
 * A session of a directory user is allowed when its connection is bound to the user's directory,
 * or is unbound while no live connection of the tenant is bound to that directory (the rule
 * sign-in enforces). Only users of the directories the change bound or released are looked at.
 */
/**
 * A session `s` that still gives access (three parameters: now as ISO text twice, now in ms):
 * live, or expired with a live refresh token while its IdP's session has not ended (refresh
 * tokens outlive the browser session, never its revocation nor the IdP's end). `+m.model` keeps
 * the plan on the session's grants, not a scan of all tokens.
 */
const GIVES_ACCESS = `(s.expires_at > ? OR ((s.idp_session_ends_at IS NULL OR s.idp_session_ends_at > ?) AND EXISTS (
             SELECT 1 FROM session_grants g CROSS JOIN oidc_models m ON m.grant_id = g.grant_id
             WHERE g.session_id = s.id AND +m.model = 'RefreshToken' AND m.consumed_at IS NULL
               AND (m.expires_at IS NULL OR m.expires_at > ?))))`;
const accessParams = (now: Date) => [now.toISOString(), now.toISOString(), now.getTime()] as const;

export class BindingSessionSweep {
  constructor(
    private readonly sql: Sql,
    private readonly sessions: SessionService,
    private readonly clock: Clock,
  ) {}

  /**
   * The sessions of users of `directoryIds` that the bindings as stored now do not allow and that
   * still give access (see GIVES_ACCESS). Call inside the change's transaction, after the change.
   */
  disallowed(tenantId: string, directoryIds: (string | null)[]): Session[] {
    const ids = [...new Set(directoryIds.filter((d): d is string => d !== null))];
    if (ids.length === 0) return [];
    const now = this.clock.now();
    const rows = this.sql
      .prepare<[string, string, string, string, string, number], { id: string }>(
        // CROSS JOIN and `+m.model` fix the plan: from the directories' users (index), to their
        // sessions, to each session's grants, never a scan of a tenant's sessions or of all tokens.
        `SELECT s.id FROM directory_users u
         CROSS JOIN sessions s ON s.tenant_id = u.tenant_id AND s.user_id = u.id
         CROSS JOIN sso_connections c ON c.id = s.connection_id AND c.tenant_id = s.tenant_id
         WHERE u.tenant_id = ? AND u.directory_id IN (?, ?) AND u.deleted_at IS NULL AND s.revoked_at IS NULL
           AND c.directory_id IS NOT u.directory_id
           AND (c.directory_id IS NOT NULL OR EXISTS (
             SELECT 1 FROM sso_connections b
             WHERE b.tenant_id = u.tenant_id AND b.directory_id = u.directory_id AND b.deleted_at IS NULL))
           AND ${GIVES_ACCESS}
         ORDER BY s.id`,
      )
      .all(tenantId, ids[0]!, ids[1] ?? ids[0]!, ...accessParams(now));
    return this.#sessions(rows);
  }

  /**
   * The sessions made through `connectionId` that still give access (see GIVES_ACCESS): what
   * deleting the connection ends. Call inside the deletion's transaction.
   */
  throughConnection(tenantId: string, connectionId: string): Session[] {
    const now = this.clock.now();
    const rows = this.sql
      .prepare<[string, string, string, string, number], { id: string }>(
        `SELECT s.id FROM sessions s
         WHERE s.tenant_id = ? AND s.connection_id = ? AND s.revoked_at IS NULL
           AND ${GIVES_ACCESS}
         ORDER BY s.id`,
      )
      .all(tenantId, connectionId, ...accessParams(now));
    return this.#sessions(rows);
  }

  #sessions(rows: { id: string }[]): Session[] {
    return rows.map((r) => this.sessions.find(r.id)).filter((s): s is Session => s !== undefined);
  }

  /**
   * Revokes `sessions` (from `disallowed` or `throughConnection`) with what came through them,
   * inside the change's transaction, attributed to whoever changed `connectionId`. `flush` sends
   * back-channel logout.
   */
  revoke(sessions: Session[], connectionId: string, actor: Actor, reason = BINDING_REVOCATION_REASON): Staged<number> {
    const notices: LogoutNotice[] = [];
    let count = 0;
    for (const s of sessions) {
      const done = this.sessions.revokeWithGrants(s, reason, actor, { changed_connection_id: connectionId, connection_id: s.connection_id, user_id: s.user_id });
      if (!done) continue;
      count++;
      notices.push(...done.notices);
    }
    if (count === 0) return stagedDone(0);
    return {
      staged: count,
      flush: async () => {
        await this.sessions.notifier.notify(notices);
        return count;
      },
    };
  }
}

/** A connection event's metadata plus how many sessions the change ended (unchanged when none). */
export function revokedCount<M extends object>(sessions: Session[], metadata: M | undefined): (M & { sessions_revoked?: number }) | undefined {
  return sessions.length > 0 ? { ...(metadata as M), sessions_revoked: sessions.length } : metadata;
}
