import type { Sql } from '../../storage/database.ts';

/** One oidc-provider record: the payload it asked us to keep plus the columns we query by. */
export interface ModelRow {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  client_id: string | null;
  uid: string | null;
  user_code: string | null;
  account_id: string | null;
  expires_at: number | null;
  consumed_at: number | null;
}

/**
 * oidc-provider's storage in SQLite (`oidc_models`): sessions, grants, codes, tokens,
 * interactions. Unscoped by nature (the provider looks records up by opaque id); tenant
 * binding lives in `sessions` and `oidc_apps`.
 */
export class OidcModelStore {
  constructor(private readonly sql: Sql) {}

  upsert(row: Omit<ModelRow, 'consumed_at'>): void {
    this.sql
      .prepare(
        `INSERT INTO oidc_models (model, id, payload, grant_id, client_id, uid, user_code, account_id, expires_at, consumed_at)
         VALUES (@model, @id, @payload, @grant_id, @client_id, @uid, @user_code, @account_id, @expires_at, NULL)
         ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
           client_id = excluded.client_id, uid = excluded.uid, user_code = excluded.user_code,
           account_id = excluded.account_id, expires_at = excluded.expires_at`,
      )
      .run(row);
  }

  find(model: string, id: string, nowMs: number): ModelRow | undefined {
    return this.sql
      .prepare<[string, string, number], ModelRow>(
        'SELECT * FROM oidc_models WHERE model = ? AND id = ? AND (expires_at IS NULL OR expires_at > ?)',
      )
      .get(model, id, nowMs);
  }

  findBy(model: string, column: 'uid' | 'user_code', value: string, nowMs: number): ModelRow | undefined {
    return this.sql
      .prepare<[string, string, number], ModelRow>(
        `SELECT * FROM oidc_models WHERE model = ? AND ${column} = ? AND (expires_at IS NULL OR expires_at > ?)`,
      )
      .get(model, value, nowMs);
  }

  consume(model: string, id: string, atSeconds: number): void {
    this.sql.prepare('UPDATE oidc_models SET consumed_at = ? WHERE model = ? AND id = ?').run(atSeconds, model, id);
  }

  destroy(model: string, id: string): void {
    this.sql.prepare('DELETE FROM oidc_models WHERE model = ? AND id = ?').run(model, id);
  }

  /**
   * Every record of a grant (the grant itself, its codes and tokens). Returns how many went. A
   * sign-in in progress (`Interaction`) names the browser's current grant too; it is not the grant's.
   */
  destroyByGrant(grantId: string): number {
    const tokens = this.sql.prepare("DELETE FROM oidc_models WHERE grant_id = ? AND model NOT IN ('Interaction', 'Session')").run(grantId).changes;
    const grant = this.sql.prepare("DELETE FROM oidc_models WHERE model = 'Grant' AND id = ?").run(grantId).changes;
    return tokens + grant;
  }

  /** Records of one model under a grant (e.g. its refresh tokens). Returns how many went. */
  destroyModelOfGrant(model: string, grantId: string): number {
    if (model === 'Grant') return this.sql.prepare("DELETE FROM oidc_models WHERE model = 'Grant' AND id = ?").run(grantId).changes;
    return this.sql.prepare('DELETE FROM oidc_models WHERE model = ? AND grant_id = ?').run(model, grantId).changes;
  }

  countRefreshTokensOfGrant(grantId: string, nowMs: number): number {
    const r = this.sql
      .prepare<[string, number], { n: number }>(
        `SELECT count(*) AS n FROM oidc_models WHERE model = 'RefreshToken' AND grant_id = ?
           AND consumed_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
      )
      .get(grantId, nowMs);
    return r?.n ?? 0;
  }

  /** Every record issued to a client (when the app is deleted). */
  destroyByClient(clientId: string): number {
    return this.sql.prepare('DELETE FROM oidc_models WHERE client_id = ?').run(clientId).changes;
  }

  /** Ends the provider's browser session so its cookie no longer signs anyone in. */
  destroySessionByUid(uid: string): number {
    return this.sql.prepare("DELETE FROM oidc_models WHERE model = 'Session' AND uid = ?").run(uid).changes;
  }

  sessionPayloadByUid(uid: string): Record<string, any> | undefined {
    const row = this.sql
      .prepare<[string], { payload: string }>("SELECT payload FROM oidc_models WHERE model = 'Session' AND uid = ?")
      .get(uid);
    return row ? JSON.parse(row.payload) : undefined;
  }

  purgeExpired(nowMs: number): number {
    return this.sql.prepare('DELETE FROM oidc_models WHERE expires_at IS NOT NULL AND expires_at <= ?').run(nowMs).changes;
  }
}
