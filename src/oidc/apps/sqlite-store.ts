import type { Sql } from '../../storage/database.ts';
import type { App, AppWithSecret } from './app.ts';

interface AppRow {
  id: string;
  tenant_id: string;
  name: string;
  secret_hash: string | null;
  token_endpoint_auth_method: App['token_endpoint_auth_method'];
  grant_types: string;
  authz_scopes: string;
  multi_tenant: number;
  backchannel_logout_uri: string | null;
  initiate_login_uri: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

const words = (s: string) => s.split(' ').filter(Boolean);

/** Apps of one tenant. */
export class SqliteTenantApps {
  constructor(
    private readonly sql: Sql,
    readonly tenantId: string,
  ) {}

  insert(a: AppWithSecret): void {
    this.sql
      .prepare(
        `INSERT INTO oidc_apps (id, tenant_id, name, secret_hash, token_endpoint_auth_method, grant_types, authz_scopes,
           multi_tenant, backchannel_logout_uri, initiate_login_uri, version, created_at, updated_at, deleted_at)
         VALUES (@id, @tenant_id, @name, @secret_hash, @token_endpoint_auth_method, @grant_types, @authz_scopes,
           @multi_tenant, @backchannel_logout_uri, @initiate_login_uri, @version, @created_at, @updated_at, NULL)`,
      )
      .run({ ...a, tenant_id: this.tenantId, grant_types: a.grant_types.join(' '), authz_scopes: a.authz_scopes.join(' '), multi_tenant: a.multi_tenant ? 1 : 0 });
    this.#writeUris(a);
  }

  find(id: string): AppWithSecret | undefined {
    const row = this.sql
      .prepare<[string, string], AppRow>('SELECT * FROM oidc_apps WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL')
      .get(id, this.tenantId);
    return row && hydrate(this.sql, row);
  }

  list(afterId: string | undefined, limit: number): AppWithSecret[] {
    return this.sql
      .prepare<[string, string, number], AppRow>(
        'SELECT * FROM oidc_apps WHERE tenant_id = ? AND deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?',
      )
      .all(this.tenantId, afterId ?? '', limit)
      .map((r) => hydrate(this.sql, r));
  }

  update(a: AppWithSecret, updatedAt: string): void {
    this.sql
      .prepare(
        `UPDATE oidc_apps SET name = @name, secret_hash = @secret_hash, grant_types = @grant_types, authz_scopes = @authz_scopes,
           backchannel_logout_uri = @backchannel_logout_uri, initiate_login_uri = @initiate_login_uri,
           version = version + 1, updated_at = @updated_at
         WHERE id = @id AND tenant_id = @tenant_id AND deleted_at IS NULL`,
      )
      .run({
        ...a,
        tenant_id: this.tenantId,
        grant_types: a.grant_types.join(' '),
        authz_scopes: a.authz_scopes.join(' '),
        updated_at: updatedAt,
      });
    this.#writeUris(a);
  }

  markDeleted(id: string, at: string): void {
    this.sql.prepare('UPDATE oidc_apps SET deleted_at = ?, updated_at = ? WHERE id = ? AND tenant_id = ?').run(at, at, id, this.tenantId);
  }

  #writeUris(a: App): void {
    this.sql.prepare('DELETE FROM oidc_app_uris WHERE app_id = ?').run(a.id);
    const insert = this.sql.prepare('INSERT OR IGNORE INTO oidc_app_uris (app_id, kind, uri) VALUES (?, ?, ?)');
    for (const uri of a.redirect_uris) insert.run(a.id, 'redirect', uri);
    for (const uri of a.post_logout_redirect_uris) insert.run(a.id, 'post_logout_redirect', uri);
  }
}

/** Lookup by client id before the tenant is known (token endpoint, bearer authentication). */
export class SqliteAppLookup {
  constructor(private readonly sql: Sql) {}

  findLive(clientId: string): AppWithSecret | undefined {
    const row = this.sql.prepare<[string], AppRow>('SELECT * FROM oidc_apps WHERE id = ? AND deleted_at IS NULL').get(clientId);
    return row && hydrate(this.sql, row);
  }
}

function hydrate(sql: Sql, r: AppRow): AppWithSecret {
  const uris = sql
    .prepare<[string], { kind: string; uri: string }>('SELECT kind, uri FROM oidc_app_uris WHERE app_id = ? ORDER BY uri')
    .all(r.id);
  return {
    ...r,
    grant_types: words(r.grant_types) as App['grant_types'],
    authz_scopes: words(r.authz_scopes) as App['authz_scopes'],
    multi_tenant: r.multi_tenant === 1,
    redirect_uris: uris.filter((u) => u.kind === 'redirect').map((u) => u.uri),
    post_logout_redirect_uris: uris.filter((u) => u.kind === 'post_logout_redirect').map((u) => u.uri),
  };
}
