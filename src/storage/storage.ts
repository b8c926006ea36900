import { join } from 'node:path';
import { Sql, openDatabase } from './database.ts';
import { migrate, migrationStatus, type MigrateOptions } from './migrate.ts';
import { ChangeStamp } from './change-stamp.ts';
import { SqliteAuditLog } from '../audit/sqlite-log.ts';
import { SqliteTenantApiKeys, SqliteApiKeyLookup } from '../apikeys/sqlite-store.ts';
import { SqliteTenantRegistry } from '../tenants/sqlite-store.ts';
import { SqliteIdempotencyStore } from '../http/idempotency-store.ts';
import { SqliteDirectoryUsers } from '../directory/sqlite-users.ts';
import { SqliteDirectoryGroups } from '../directory/sqlite-groups.ts';
import { SqliteScimDirectories, SqliteScimTokenLookup } from '../directory/scim/sqlite-directories.ts';

/** Repositories that add one tenant's id to every statement they run. */
export class TenantRepositories {
  #apiKeys?: SqliteTenantApiKeys;
  #audit?: SqliteAuditLog;
  #directoryUsers?: SqliteDirectoryUsers;
  #directoryGroups?: SqliteDirectoryGroups;
  #scimDirectories?: SqliteScimDirectories;

  constructor(
    private readonly sql: Sql,
    readonly tenantId: string,
  ) {}

  get apiKeys(): SqliteTenantApiKeys {
    return (this.#apiKeys ??= new SqliteTenantApiKeys(this.sql, this.tenantId));
  }

  get audit(): SqliteAuditLog {
    return (this.#audit ??= new SqliteAuditLog(this.sql, this.tenantId));
  }

  get directoryUsers(): SqliteDirectoryUsers {
    return (this.#directoryUsers ??= new SqliteDirectoryUsers(this.sql, this.tenantId));
  }

  get directoryGroups(): SqliteDirectoryGroups {
    return (this.#directoryGroups ??= new SqliteDirectoryGroups(this.sql, this.tenantId));
  }

  get scimDirectories(): SqliteScimDirectories {
    return (this.#scimDirectories ??= new SqliteScimDirectories(this.sql, this.tenantId));
  }
}

/**
 * Access that is not bound to one tenant: the tenant registry itself, credential lookup by id
 * (authentication happens before the tenant is known), platform-wide chains and idempotency
 * records keyed by credential. Every use is a visible `storage.unscoped` call.
 */
export class UnscopedRepositories {
  readonly tenants: SqliteTenantRegistry;
  readonly apiKeyLookup: SqliteApiKeyLookup;
  readonly idempotency: SqliteIdempotencyStore;
  readonly scimTokenLookup: SqliteScimTokenLookup;

  constructor(
    private readonly sql: Sql,
    changes: ChangeStamp,
  ) {
    this.tenants = new SqliteTenantRegistry(sql, changes);
    this.apiKeyLookup = new SqliteApiKeyLookup(sql, changes);
    this.idempotency = new SqliteIdempotencyStore(sql);
    this.scimTokenLookup = new SqliteScimTokenLookup(sql);
  }

  auditChain(chain: string): SqliteAuditLog {
    return new SqliteAuditLog(this.sql, chain);
  }
}

export class Storage {
  readonly unscoped: UnscopedRepositories;
  readonly #scopes = new Map<string, TenantRepositories>();

  /** Moves whenever the database may have changed; hot-row caches hang off it. */
  readonly changes: ChangeStamp;

  constructor(readonly sql: Sql) {
    this.changes = new ChangeStamp(sql);
    this.unscoped = new UnscopedRepositories(sql, this.changes);
  }

  /**
   * Opens `<dataDir>/portcullis.db`; with `migrateNow` applies pending migrations first (waiting
   * for another process's migration as `migration` says).
   */
  static open(dataDir: string, options: { migrateNow: boolean; migration?: Omit<MigrateOptions, 'now'> }): Storage {
    const raw = openDatabase(dataDir === ':memory:' ? ':memory:' : join(dataDir, 'portcullis.db'));
    if (options.migrateNow) migrate(raw, undefined, options.migration);
    const pending = migrationStatus(raw).pending;
    if (pending.length > 0) {
      raw.close();
      throw new Error(`Database needs migrations ${pending.join(', ')}: run \`portcullis migrate\`.`);
    }
    return new Storage(new Sql(raw));
  }

  forTenant(tenantId: string): TenantRepositories {
    let scope = this.#scopes.get(tenantId);
    if (!scope) {
      scope = new TenantRepositories(this.sql, tenantId);
      if (this.#scopes.size > 10_000) this.#scopes.clear();
      this.#scopes.set(tenantId, scope);
    }
    return scope;
  }

  /** One write transaction (BEGIN IMMEDIATE); nested calls join it. */
  transaction<T>(fn: () => T): T {
    return this.sql.transaction(fn);
  }

  /** True when the database answers and no migration is pending. */
  ready(): boolean {
    try {
      return migrationStatus(this.sql.raw).pending.length === 0;
    } catch {
      return false;
    }
  }

  close(): void {
    this.sql.close();
  }
}
