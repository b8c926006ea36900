import type { AuthorizationModel, ReadAuthorizationModelsResponse } from '@openfga/sdk';
import type Database from 'better-sqlite3';
import type { Sql } from '../../storage/database.ts';
import { fgaError, storeNotFound, validationError } from '../errors.ts';
import { CompiledModel, type ModelOptions } from '../model/compile.ts';
import type { ModelBody } from '../model/normalize.ts';
import { pageSizeOf } from './pagination.ts';
import { ContinuationTokens } from '../continuation-tokens.ts';

const MODEL_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const CACHE_LIMIT = 500;

/** OpenFGA's format check of an `authorization_model_id`. */
export function assertModelIdFormat(id: string): void {
  if (!MODEL_ID.test(id)) {
    throw validationError('invalid AuthorizationModelId: value does not match regex pattern "^[ABCDEFGHJKMNPQRSTVWXYZ0-9]{26}$"');
  }
}

export const latestNotFound = (storeId: string) => fgaError('latest_authorization_model_not_found', `No authorization models found for store '${storeId}'`);

/**
 * `authz_models` plus a cache of compiled models by id (models are immutable, so a cached
 * compilation never goes stale). "Latest" is the highest per-store sequence number, read from
 * SQLite on every call (together with the store's existence, in one indexed query) so a model
 * written by another process is seen at once; nothing about a store is cached.
 */
export class SqliteModelStore {
  readonly #compiled = new Map<string, { storeId: string; model: CompiledModel }>();
  readonly #latest: Database.Statement<[string], [string | null]>;
  readonly #storeExists: Database.Statement<[string], number>;

  constructor(
    private readonly sql: Sql,
    private readonly options: ModelOptions = {},
    private readonly tokens: ContinuationTokens = new ContinuationTokens(),
  ) {
    this.#latest = sql.raw
      .prepare<[string], [string | null]>(
        `SELECT (SELECT id FROM authz_models WHERE store_id = s.id ORDER BY seq DESC LIMIT 1)
           FROM authz_stores s WHERE s.id = ? AND s.deleted_at IS NULL`,
      )
      .raw();
    this.#storeExists = sql.raw.prepare<[string], number>('SELECT 1 FROM authz_stores WHERE id = ? AND deleted_at IS NULL').pluck();
  }

  insert(storeId: string, id: string, body: ModelBody, at: Date): void {
    const model: AuthorizationModel = { id, ...body };
    const seq = this.sql
      .prepare<[string], { seq: number }>('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM authz_models WHERE store_id = ?')
      .get(storeId) as { seq: number };
    this.sql
      .prepare('INSERT INTO authz_models (store_id, id, seq, schema_version, model_json, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(storeId, id, seq.seq, body.schema_version, JSON.stringify(model), at.toISOString());
  }

  /**
   * The model by id, or the store's latest, for a query on a live store: throws
   * `store_id_not_found` first, then OpenFGA's model codes.
   */
  resolveInStore(storeId: string, modelId: string | undefined): CompiledModel {
    if (modelId === undefined || modelId === '') {
      const found = this.#latest.get(storeId);
      if (!found) throw storeNotFound();
      const latest = found[0];
      if (latest === null) throw latestNotFound(storeId);
      return this.compiled(storeId, latest);
    }
    if (this.#storeExists.get(storeId) === undefined) throw storeNotFound();
    return this.resolve(storeId, modelId);
  }

  /** The model by id, or the store's latest; throws OpenFGA's not-found codes. */
  resolve(storeId: string, modelId: string | undefined): CompiledModel {
    let id = modelId;
    if (id === undefined || id === '') {
      const latest = this.sql
        .prepare<[string], { id: string }>('SELECT id FROM authz_models WHERE store_id = ? ORDER BY seq DESC LIMIT 1')
        .get(storeId);
      if (!latest) throw latestNotFound(storeId);
      id = latest.id;
    } else {
      assertModelIdFormat(id);
    }
    return this.compiled(storeId, id);
  }

  /** A stored model of the store by id, compiled once (cached); throws `authorization_model_not_found`. */
  compiled(storeId: string, id: string): CompiledModel {
    const cached = this.#compiled.get(id);
    if (cached && cached.storeId === storeId) return cached.model;
    const row = this.sql
      .prepare<[string, string], { model_json: string }>('SELECT model_json FROM authz_models WHERE store_id = ? AND id = ?')
      .get(storeId, id);
    if (!row) throw fgaError('authorization_model_not_found', `Authorization Model '${id}' not found`);
    const model = new CompiledModel(JSON.parse(row.model_json) as AuthorizationModel, this.options);
    if (this.#compiled.size >= CACHE_LIMIT) this.#compiled.delete(this.#compiled.keys().next().value as string);
    this.#compiled.set(id, { storeId, model });
    return model;
  }

  /** Newest first. */
  list(storeId: string, page: { page_size?: number; continuation_token?: string }): ReadAuthorizationModelsResponse {
    const size = pageSizeOf(page.page_size, 'ReadAuthorizationModelsRequest');
    const position = this.tokens.decode(storeId, page.continuation_token, 'models');
    const before = position ? Number(position[0]) : Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(before)) throw fgaError('invalid_continuation_token', 'Invalid continuation token');
    const rows = this.sql
      .prepare<[string, number, number], { seq: number; model_json: string }>(
        'SELECT seq, model_json FROM authz_models WHERE store_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
      )
      .all(storeId, before, size + 1);
    const more = rows.length > size;
    const pageRows = more ? rows.slice(0, size) : rows;
    return {
      authorization_models: pageRows.map((r) => JSON.parse(r.model_json) as AuthorizationModel),
      continuation_token: more ? this.tokens.encode(storeId, 'models', [pageRows[pageRows.length - 1]?.seq]) : '',
    };
  }
}
