import type { Sql } from '../storage/database.ts';
import { StampedCache, type ChangeStamp } from '../storage/change-stamp.ts';
import type { ApiKey, ApiKeyWithHash } from './api-key.ts';
import type { Scope } from './scopes.ts';
import type { TenantStatus } from '../tenants/tenant.ts';

interface Row {
  id: string;
  tenant_id: string | null;
  name: string;
  secret_hash: string;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  scopes: string | null;
}

const SELECT = `SELECT k.*, (SELECT group_concat(scope, ' ') FROM api_key_scopes s WHERE s.key_id = k.id) AS scopes
  FROM api_keys k`;

function toKey(row: Row): ApiKeyWithHash {
  const { scopes, ...rest } = row;
  return { ...rest, scopes: scopes ? (scopes.split(' ').sort() as Scope[]) : [] };
}

function insertKey(sql: Sql, key: ApiKeyWithHash): void {
  sql
    .prepare(
      `INSERT INTO api_keys (id, tenant_id, name, secret_hash, created_at, created_by, last_used_at, revoked_at)
       VALUES (@id, @tenant_id, @name, @secret_hash, @created_at, @created_by, @last_used_at, @revoked_at)`,
    )
    .run({
      id: key.id,
      tenant_id: key.tenant_id,
      name: key.name,
      secret_hash: key.secret_hash,
      created_at: key.created_at,
      created_by: key.created_by,
      last_used_at: key.last_used_at,
      revoked_at: key.revoked_at,
    });
  const addScope = sql.prepare('INSERT INTO api_key_scopes (key_id, scope) VALUES (?, ?)');
  for (const scope of key.scopes) addScope.run(key.id, scope);
}

/** One tenant's API keys. */
export class SqliteTenantApiKeys {
  constructor(
    private readonly sql: Sql,
    readonly tenantId: string,
  ) {}

  insert(key: Omit<ApiKeyWithHash, 'tenant_id'>): void {
    insertKey(this.sql, { ...key, tenant_id: this.tenantId });
  }

  find(id: string): ApiKey | undefined {
    const row = this.sql.prepare<[string, string], Row>(`${SELECT} WHERE k.id = ? AND k.tenant_id = ?`).get(id, this.tenantId);
    return row ? strip(toKey(row)) : undefined;
  }

  list(afterId: string | undefined, limit: number): ApiKey[] {
    return this.sql
      .prepare<[string, string, number], Row>(`${SELECT} WHERE k.tenant_id = ? AND k.id > ? ORDER BY k.id LIMIT ?`)
      .all(this.tenantId, afterId ?? '', limit)
      .map((r) => strip(toKey(r)));
  }

  revoke(id: string, at: string): boolean {
    return (
      this.sql
        .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL')
        .run(at, id, this.tenantId).changes === 1
    );
  }

  revokeAll(at: string): number {
    return this.sql
      .prepare('UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND revoked_at IS NULL')
      .run(at, this.tenantId).changes;
  }
}

function strip(k: ApiKeyWithHash): ApiKey {
  const { secret_hash: _, ...rest } = k;
  return rest;
}

/**
 * Privileged, unscoped access: finding a key by id to authenticate it (before any tenant is
 * known) and managing platform keys (tenant_id NULL).
 */
export class SqliteApiKeyLookup {
  /** Keys are looked up on every request; the secret is still checked against the hash each time. */
  readonly #cache: StampedCache<ReturnType<SqliteApiKeyLookup['readForAuthentication']>>;

  constructor(
    private readonly sql: Sql,
    changes: ChangeStamp,
  ) {
    this.#cache = new StampedCache(changes);
  }

  /** The key and, for tenant keys, its tenant's status, in one read (this is on every request). */
  findForAuthentication(id: string) {
    return this.#cache.get(id, () => this.readForAuthentication(id));
  }

  private readForAuthentication(id: string): (ApiKeyWithHash & { tenant_status: TenantStatus | null; tenant_deleted: boolean }) | undefined {
    const row = this.sql
      .prepare<[string], Row & { tenant_status: TenantStatus | null; tenant_deleted_at: string | null }>(
        `SELECT k.*, (SELECT group_concat(scope, ' ') FROM api_key_scopes s WHERE s.key_id = k.id) AS scopes,
           t.status AS tenant_status, t.deleted_at AS tenant_deleted_at
         FROM api_keys k LEFT JOIN tenants t ON t.id = k.tenant_id WHERE k.id = ?`,
      )
      .get(id);
    if (!row) return undefined;
    const { tenant_status, tenant_deleted_at, ...key } = row;
    return { ...toKey(key), tenant_status, tenant_deleted: tenant_deleted_at !== null };
  }

  touch(id: string, at: string): void {
    this.sql.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(at, id);
  }

  insertPlatformKey(key: Omit<ApiKeyWithHash, 'tenant_id'>): void {
    insertKey(this.sql, { ...key, tenant_id: null });
  }

  findPlatformKey(id: string): ApiKey | undefined {
    const row = this.sql.prepare<[string], Row>(`${SELECT} WHERE k.id = ? AND k.tenant_id IS NULL`).get(id);
    return row ? strip(toKey(row)) : undefined;
  }

  revokePlatformKey(id: string, at: string): boolean {
    return (
      this.sql
        .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id IS NULL AND revoked_at IS NULL')
        .run(at, id).changes === 1
    );
  }

  /** Whether a platform key was ever created (revoked ones count: first start happens once). */
  anyPlatformKeyExists(): boolean {
    return !!this.sql.prepare('SELECT 1 FROM api_keys WHERE tenant_id IS NULL LIMIT 1').get();
  }

  /** Which tenant a key belongs to (null for platform keys), for the CLI's `apikey revoke ID`. */
  ownerOf(id: string): { tenant_id: string | null } | undefined {
    return this.sql.prepare<[string], { tenant_id: string | null }>('SELECT tenant_id FROM api_keys WHERE id = ?').get(id);
  }
}
