import type { Sql } from '../storage/database.ts';
import type { Session } from './session.ts';

interface SessionRow extends Omit<Session, 'amr' | 'groups'> {
  amr: string;
  groups: string;
}

const hydrate = (r: SessionRow | undefined): Session | undefined =>
  r && { ...r, amr: r.amr.split(' ').filter(Boolean), groups: JSON.parse(r.groups) as string[] };

/** Sessions and the grants made under them. Lookups by grant or provider uid are unscoped by design (opaque ids). */
export class SqliteSessionStore {
  constructor(private readonly sql: Sql) {}

  insert(s: Session): void {
    this.sql
      .prepare(
        `INSERT INTO sessions (id, tenant_id, user_id, connection_id, oidc_session_uid, amr, acr, groups, idp_session_index,
           authenticated_at, idp_authenticated_at, expires_at, idp_session_ends_at, revoked_at, revoked_reason)
         VALUES (@id, @tenant_id, @user_id, @connection_id, @oidc_session_uid, @amr, @acr, @groups, @idp_session_index,
           @authenticated_at, @idp_authenticated_at, @expires_at, @idp_session_ends_at, NULL, NULL)`,
      )
      .run({ ...s, amr: s.amr.join(' '), groups: JSON.stringify(s.groups) });
  }

  find(id: string): Session | undefined {
    return hydrate(this.sql.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?').get(id));
  }

  findByOidcUid(uid: string): Session | undefined {
    return hydrate(
      this.sql
        .prepare<[string], SessionRow>('SELECT * FROM sessions WHERE oidc_session_uid = ? ORDER BY authenticated_at DESC LIMIT 1')
        .get(uid),
    );
  }

  /** Every sign-in a provider browser session carries that was not revoked (live or past its lifetime), latest first. */
  unrevokedByOidcUid(uid: string): Session[] {
    return this.sql
      .prepare<[string], SessionRow>('SELECT * FROM sessions WHERE oidc_session_uid = ? AND revoked_at IS NULL ORDER BY authenticated_at DESC')
      .all(uid)
      .map((r) => hydrate(r) as Session);
  }

  findByGrant(grantId: string): Session | undefined {
    return hydrate(
      this.sql
        .prepare<[string], SessionRow>(
          'SELECT s.* FROM sessions s JOIN session_grants g ON g.session_id = s.id WHERE g.grant_id = ?',
        )
        .get(grantId),
    );
  }

  bindOidcUid(sessionId: string, uid: string): void {
    this.sql.prepare('UPDATE sessions SET oidc_session_uid = ? WHERE id = ? AND oidc_session_uid IS NULL').run(uid, sessionId);
  }

  bindGrant(grantId: string, sessionId: string, clientId: string): void {
    this.sql
      .prepare('INSERT OR IGNORE INTO session_grants (grant_id, session_id, client_id) VALUES (?, ?, ?)')
      .run(grantId, sessionId, clientId);
  }

  liveSessionsOfUser(tenantId: string, userId: string, nowIso: string): Session[] {
    return this.sql
      .prepare<[string, string, string], SessionRow>(
        'SELECT * FROM sessions WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL AND expires_at > ?',
      )
      .all(tenantId, userId, nowIso)
      .map((r) => hydrate(r) as Session);
  }

  /** Everyone who ever signed in to this tenant through this connection. */
  usersSignedInThrough(tenantId: string, connectionId: string): string[] {
    return this.sql
      .prepare<[string, string], { user_id: string }>('SELECT DISTINCT user_id FROM sessions WHERE tenant_id = ? AND connection_id = ?')
      .all(tenantId, connectionId)
      .map((r) => r.user_id);
  }

  /** Every connection this user ever signed in to this tenant through. */
  connectionsOfUser(tenantId: string, userId: string): string[] {
    return this.sql
      .prepare<[string, string], { connection_id: string }>('SELECT DISTINCT connection_id FROM sessions WHERE tenant_id = ? AND user_id = ?')
      .all(tenantId, userId)
      .map((r) => r.connection_id);
  }

  /** Every grant ever made under the user's sessions in this tenant (refresh tokens outlive sessions). */
  grantsOfUser(tenantId: string, userId: string): { grant_id: string; client_id: string }[] {
    return this.sql
      .prepare<[string, string], { grant_id: string; client_id: string }>(
        `SELECT g.grant_id, g.client_id FROM session_grants g JOIN sessions s ON s.id = g.session_id
         WHERE s.tenant_id = ? AND s.user_id = ?`,
      )
      .all(tenantId, userId);
  }

  /** The grants made under one session (a grant belongs to the one session its sign-in made). */
  grantsOfSession(sessionId: string): string[] {
    return this.sql
      .prepare<[string], { grant_id: string }>('SELECT grant_id FROM session_grants WHERE session_id = ?')
      .all(sessionId)
      .map((r) => r.grant_id);
  }

  revoke(id: string, at: string, reason: string): boolean {
    return this.sql
      .prepare('UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL')
      .run(at, reason, id).changes === 1;
  }
}
