import type { Sql } from '../../storage/database.ts';
import type { NormalisationRecord, ScimDirectory, ScimToken, ScimTokenWithHash } from './directory.ts';

/** One tenant's SCIM directories, their tokens and the normalisation records of their requests. */
export class SqliteScimDirectories {
  constructor(
    private readonly sql: Sql,
    readonly tenantId: string,
  ) {}

  insert(d: Omit<ScimDirectory, 'tenant_id'>): void {
    this.sql
      .prepare('INSERT INTO scim_directories (id, tenant_id, name, created_at, deleted_at) VALUES (@id, @tenant_id, @name, @created_at, @deleted_at)')
      .run({ ...d, tenant_id: this.tenantId });
  }

  find(id: string): ScimDirectory | undefined {
    return this.sql
      .prepare<[string, string], ScimDirectory>('SELECT * FROM scim_directories WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL')
      .get(id, this.tenantId);
  }

  list(afterId: string | undefined, limit: number): ScimDirectory[] {
    return this.sql
      .prepare<[string, string, number], ScimDirectory>(
        'SELECT * FROM scim_directories WHERE tenant_id = ? AND deleted_at IS NULL AND id > ? ORDER BY id LIMIT ?',
      )
      .all(this.tenantId, afterId ?? '', limit);
  }

  markDeleted(id: string, at: string): boolean {
    return (
      this.sql.prepare('UPDATE scim_directories SET deleted_at = ? WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL').run(at, id, this.tenantId)
        .changes === 1
    );
  }

  insertToken(t: Omit<ScimTokenWithHash, 'tenant_id'>): void {
    this.sql
      .prepare(
        `INSERT INTO scim_tokens (id, tenant_id, directory_id, name, secret_hash, created_at, created_by, last_used_at, revoked_at)
         VALUES (@id, @tenant_id, @directory_id, @name, @secret_hash, @created_at, @created_by, @last_used_at, @revoked_at)`,
      )
      .run({ ...t, tenant_id: this.tenantId });
  }

  findToken(directoryId: string, id: string): ScimToken | undefined {
    return this.sql
      .prepare<[string, string, string], ScimToken>(
        `SELECT id, tenant_id, directory_id, name, created_at, created_by, last_used_at, revoked_at FROM scim_tokens
         WHERE id = ? AND directory_id = ? AND tenant_id = ?`,
      )
      .get(id, directoryId, this.tenantId);
  }

  listTokens(directoryId: string, afterId: string | undefined, limit: number): ScimToken[] {
    return this.sql
      .prepare<[string, string, string, number], ScimToken>(
        `SELECT id, tenant_id, directory_id, name, created_at, created_by, last_used_at, revoked_at FROM scim_tokens
         WHERE tenant_id = ? AND directory_id = ? AND id > ? ORDER BY id LIMIT ?`,
      )
      .all(this.tenantId, directoryId, afterId ?? '', limit);
  }

  revokeToken(directoryId: string, id: string, at: string): boolean {
    return (
      this.sql
        .prepare('UPDATE scim_tokens SET revoked_at = ? WHERE id = ? AND directory_id = ? AND tenant_id = ? AND revoked_at IS NULL')
        .run(at, id, directoryId, this.tenantId).changes === 1
    );
  }

  revokeAllTokens(directoryId: string, at: string): number {
    return this.sql
      .prepare('UPDATE scim_tokens SET revoked_at = ? WHERE directory_id = ? AND tenant_id = ? AND revoked_at IS NULL')
      .run(at, directoryId, this.tenantId).changes;
  }

  insertNormalisation(r: Omit<NormalisationRecord, 'tenant_id'>): void {
    this.sql
      .prepare(
        `INSERT INTO scim_normalisations (id, tenant_id, directory_id, request_id, occurred_at, dialect, rule, method, path, detail, user_agent)
         VALUES (@id, @tenant_id, @directory_id, @request_id, @occurred_at, @dialect, @rule, @method, @path, @detail, @user_agent)`,
      )
      .run({ ...r, tenant_id: this.tenantId });
  }

  /** Newest first (insertion order), below the row `beforeSeq` when given. */
  listNormalisations(directoryId: string, beforeSeq: number | undefined, limit: number): (NormalisationRecord & { seq: number })[] {
    return this.sql
      .prepare<[string, string, number, number], NormalisationRecord & { seq: number }>(
        `SELECT rowid AS seq, * FROM scim_normalisations WHERE tenant_id = ? AND directory_id = ? AND rowid < ? ORDER BY rowid DESC LIMIT ?`,
      )
      .all(this.tenantId, directoryId, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit);
  }
}

/** Unscoped: finding a SCIM token by id to authenticate it, before any tenant is known. */
export class SqliteScimTokenLookup {
  constructor(private readonly sql: Sql) {}

  findForAuthentication(id: string): ScimTokenWithHash | undefined {
    return this.sql
      .prepare<[string], ScimTokenWithHash>(
        `SELECT t.* FROM scim_tokens t JOIN scim_directories d ON d.id = t.directory_id AND d.deleted_at IS NULL WHERE t.id = ?`,
      )
      .get(id);
  }

  touch(id: string, at: string): void {
    this.sql.prepare('UPDATE scim_tokens SET last_used_at = ? WHERE id = ?').run(at, id);
  }
}
