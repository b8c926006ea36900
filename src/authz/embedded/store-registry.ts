import type { Store } from '@openfga/sdk';
import type { Sql } from '../../storage/database.ts';
import { storeNotFound } from '../errors.ts';

interface StoreRow {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

/** `authz_stores`: one row per OpenFGA store (one per tenant). Deleted stores answer as missing. */
export class SqliteStoreRegistry {
  constructor(private readonly sql: Sql) {}

  create(id: string, name: string, at: Date): Store {
    const now = at.toISOString();
    this.sql.prepare('INSERT INTO authz_stores (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(id, name, now, now);
    return { id, name, created_at: now, updated_at: now };
  }

  get(id: string): Store | undefined {
    return this.sql
      .prepare<[string], StoreRow>('SELECT id, name, created_at, updated_at FROM authz_stores WHERE id = ? AND deleted_at IS NULL')
      .get(id);
  }

  /** Throws OpenFGA's `store_id_not_found` unless the store exists. */
  assertExists(id: string): void {
    const row = this.sql.prepare<[string], { n: number }>('SELECT 1 AS n FROM authz_stores WHERE id = ? AND deleted_at IS NULL').get(id);
    if (!row) throw storeNotFound();
  }

  /** Marks the store deleted and drops its tuples, models and changelog. */
  delete(id: string, at: Date): void {
    this.assertExists(id);
    this.sql.prepare('UPDATE authz_stores SET deleted_at = ?, updated_at = ? WHERE id = ?').run(at.toISOString(), at.toISOString(), id);
    this.sql.prepare('DELETE FROM authz_tuples WHERE store_id = ?').run(id);
    this.sql.prepare('DELETE FROM authz_changes WHERE store_id = ?').run(id);
    this.sql.prepare('DELETE FROM authz_models WHERE store_id = ?').run(id);
  }
}
