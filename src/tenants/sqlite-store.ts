import type { Sql } from '../storage/database.ts';
import { StampedCache, type ChangeStamp } from '../storage/change-stamp.ts';
import type { Tenant, TenantStatus } from './tenant.ts';

export interface TenantListOptions {
  afterId?: string;
  limit: number;
  status?: TenantStatus;
  includeDeleted?: boolean;
}

/** The tenant registry: the one table that is not itself tenant-scoped. */
export class SqliteTenantRegistry {
  /** Tenants are read on every request (by ref or store id) and change rarely. */
  readonly #cache: StampedCache<Tenant | undefined>;

  constructor(
    private readonly sql: Sql,
    changes: ChangeStamp,
  ) {
    this.#cache = new StampedCache(changes);
  }

  insert(t: Tenant): void {
    this.sql
      .prepare(
        `INSERT INTO tenants (id, slug, name, status, authz_store_id, version, created_at, updated_at, deleted_at)
         VALUES (@id, @slug, @name, @status, @authz_store_id, @version, @created_at, @updated_at, @deleted_at)`,
      )
      .run(t);
  }

  slugTaken(slug: string): boolean {
    return !!this.sql.prepare('SELECT 1 FROM tenants WHERE slug = ? AND deleted_at IS NULL').get(slug);
  }

  /** A live (not deleted) tenant by id or by slug (ids and slugs cannot collide: ids are uppercase). */
  findLive(ref: string): Tenant | undefined {
    return this.#cache.get(`ref:${ref}`, () =>
      this.sql
        .prepare<[string, string], Tenant>('SELECT * FROM tenants WHERE (id = ? OR slug = ?) AND deleted_at IS NULL')
        .get(ref, ref),
    );
  }

  findById(id: string): Tenant | undefined {
    return this.sql.prepare<[string], Tenant>('SELECT * FROM tenants WHERE id = ?').get(id);
  }

  findByStoreId(storeId: string): Tenant | undefined {
    return this.#cache.get(`store:${storeId}`, () =>
      this.sql
        .prepare<[string], Tenant>('SELECT * FROM tenants WHERE authz_store_id = ? AND deleted_at IS NULL')
        .get(storeId),
    );
  }

  list(o: TenantListOptions): Tenant[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: o.limit };
    if (!o.includeDeleted) where.push('deleted_at IS NULL');
    if (o.status) {
      where.push('status = @status');
      params.status = o.status;
    }
    if (o.afterId) {
      where.push('id > @afterId');
      params.afterId = o.afterId;
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    return this.sql
      .prepare<Record<string, unknown>, Tenant>(`SELECT * FROM tenants ${clause} ORDER BY id LIMIT @limit`)
      .all(params);
  }

  /**
   * Writes the changed fields and bumps the version, but only if the stored version is still
   * `expectedVersion`: the compare-and-set behind ETags. Returns the new row, or undefined when
   * the version moved on.
   */
  update(
    id: string,
    expectedVersion: number,
    fields: Partial<Pick<Tenant, 'name' | 'slug' | 'status' | 'deleted_at'>>,
    updatedAt: string,
  ): Tenant | undefined {
    const sets = Object.keys(fields).map((k) => `${k} = @${k}`);
    const result = this.sql
      .prepare(
        `UPDATE tenants SET ${[...sets, 'version = version + 1', 'updated_at = @updated_at'].join(', ')}
         WHERE id = @id AND version = @expectedVersion`,
      )
      .run({ ...fields, id, expectedVersion, updated_at: updatedAt });
    return result.changes === 1 ? this.findById(id) : undefined;
  }
}
