import type { Sql } from '../../storage/database.ts';

/**
 * A login in flight: created when Portcullis redirects to the IdP, found again by the SAML
 * RelayState or the OIDC `state` (its id: 256 random bits), used once.
 */
export interface LoginState {
  id: string;
  tenant_id: string;
  connection_id: string;
  purpose: 'login' | 'test' | 'idp_initiated';
  interaction_uid: string | null;
  request_id: string | null;
  nonce: string | null;
  code_verifier: string | null;
  result_session_id: string | null;
  created_at: string;
  expires_at: string;
  consumed_at: string | null;
  completed_at: string | null;
  /**
   * 1 when the app asked for a fresh authentication (`prompt=login`, or a `max_age` its session
   * exceeded) and the IdP was told to re-authenticate: its answer must then show an
   * authentication at or after `created_at` (within the connection's clock skew). Absent: 0.
   */
  forced_reauthentication?: 0 | 1;
}

export class SqliteLoginStates {
  constructor(private readonly sql: Sql) {}

  insert(s: LoginState): void {
    this.sql
      .prepare(
        `INSERT INTO sso_login_states (id, tenant_id, connection_id, purpose, interaction_uid, request_id, nonce, code_verifier,
           result_session_id, created_at, expires_at, consumed_at, forced_reauthentication)
         VALUES (@id, @tenant_id, @connection_id, @purpose, @interaction_uid, @request_id, @nonce, @code_verifier,
           @result_session_id, @created_at, @expires_at, @consumed_at, @forced_reauthentication)`,
      )
      .run({ forced_reauthentication: 0, ...s });
  }

  /** A live (unexpired, unconsumed) state. */
  findLive(id: string, nowIso: string): LoginState | undefined {
    return this.sql
      .prepare<[string, string], LoginState>('SELECT * FROM sso_login_states WHERE id = ? AND consumed_at IS NULL AND expires_at > ?')
      .get(id, nowIso);
  }

  find(id: string): LoginState | undefined {
    return this.sql.prepare<[string], LoginState>('SELECT * FROM sso_login_states WHERE id = ?').get(id);
  }

  /** Marks it used; false when another request already did (single use). */
  consume(id: string, nowIso: string): boolean {
    return this.sql.prepare('UPDATE sso_login_states SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL').run(nowIso, id).changes === 1;
  }

  /**
   * Takes the session a finished login produced for this interaction, once: the IdP leg
   * consumed the state and set the session; the interaction leg completes it.
   */
  completeForInteraction(id: string, interactionUid: string, nowIso: string): string | undefined {
    const row = this.sql
      .prepare<[string, string, string], { result_session_id: string }>(
        `SELECT result_session_id FROM sso_login_states WHERE id = ? AND interaction_uid = ? AND expires_at > ?
           AND consumed_at IS NOT NULL AND completed_at IS NULL AND result_session_id IS NOT NULL`,
      )
      .get(id, interactionUid, nowIso);
    if (!row) return undefined;
    const done = this.sql.prepare('UPDATE sso_login_states SET completed_at = ? WHERE id = ? AND completed_at IS NULL').run(nowIso, id);
    return done.changes === 1 ? row.result_session_id : undefined;
  }

  /** The session an IdP-initiated login produced (found by the browser's cookie), once. */
  completeIdpInitiated(id: string, nowIso: string): string | undefined {
    const row = this.sql
      .prepare<[string, string], { result_session_id: string }>(
        `SELECT result_session_id FROM sso_login_states WHERE id = ? AND purpose = 'idp_initiated' AND expires_at > ?
           AND completed_at IS NULL AND result_session_id IS NOT NULL`,
      )
      .get(id, nowIso);
    if (!row) return undefined;
    const done = this.sql.prepare('UPDATE sso_login_states SET completed_at = ? WHERE id = ? AND completed_at IS NULL').run(nowIso, id);
    return done.changes === 1 ? row.result_session_id : undefined;
  }

  setResult(id: string, sessionId: string): void {
    this.sql.prepare('UPDATE sso_login_states SET result_session_id = ? WHERE id = ?').run(sessionId, id);
  }

  purgeExpired(nowIso: string): number {
    return this.sql.prepare('DELETE FROM sso_login_states WHERE expires_at <= ?').run(nowIso).changes;
  }
}
