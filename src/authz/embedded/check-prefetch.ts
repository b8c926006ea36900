import type Database from 'better-sqlite3';
import { storeNotFound } from '../errors.ts';
import type { CompiledModel } from '../model/compile.ts';
import type { UserParts } from '../model/keys.ts';
import type { Sql } from '../../storage/database.ts';
import { assertModelIdFormat, latestNotFound, type SqliteModelStore } from './model-store.ts';
import type { TupleRow } from './tuple-row.ts';

/** What a Check needs before it evaluates anything: its model and, if stored, the exact tuple asked about. */
export interface CheckStart {
  model: CompiledModel;
  /** The stored tuple `object#relation@user`, if there is one (not yet checked against the model). */
  tuple: TupleRow | undefined;
}

const TUPLE_JOIN = `LEFT JOIN authz_tuples t ON t.store_id = s.id AND t.object_type = ? AND t.object_id = ? AND t.relation = ?
  AND t.user_type = ? AND t.user_id = ? AND t.user_relation = ?`;

/**
 * The start of a Check in one indexed statement: the store's existence, its latest model id
 * (unless the request names one) and the exact tuple the request asks about. Most checks of a
 * directly granted relation end there. One statement is one WAL read lock and one consistent
 * snapshot, read afresh each time (a model or tuple written by another process counts at once).
 */
export class CheckPrefetch {
  readonly #latest: Database.Statement<unknown[], [string | null, string | null, string | null]>;
  readonly #named: Database.Statement<unknown[], [string | null, string | null]>;

  constructor(
    sql: Sql,
    private readonly models: SqliteModelStore,
  ) {
    this.#latest = sql.raw
      .prepare<unknown[], [string | null, string | null, string | null]>(
        `SELECT (SELECT id FROM authz_models WHERE store_id = s.id ORDER BY seq DESC LIMIT 1), t.condition_name, t.condition_context
           FROM authz_stores s ${TUPLE_JOIN} WHERE s.id = ? AND s.deleted_at IS NULL`,
      )
      .raw();
    this.#named = sql.raw
      .prepare<unknown[], [string | null, string | null]>(
        `SELECT t.condition_name, t.condition_context FROM authz_stores s ${TUPLE_JOIN} WHERE s.id = ? AND s.deleted_at IS NULL`,
      )
      .raw();
  }

  /** Throws `store_id_not_found`, then OpenFGA's model codes, in the order OpenFGA checks them. */
  start(storeId: string, modelId: string | undefined, objectType: string, objectId: string, relation: string, user: UserParts): CheckStart {
    const key = [objectType, objectId, relation, user.type, user.id, user.relation, storeId] as const;
    let name: string | null;
    let context: string | null;
    let model: CompiledModel;
    if (modelId === undefined || modelId === '') {
      const found = this.#latest.get(...key);
      if (!found) throw storeNotFound();
      const [latest] = found;
      if (latest === null) throw latestNotFound(storeId);
      model = this.models.compiled(storeId, latest);
      [, name, context] = found;
    } else {
      const found = this.#named.get(...key);
      if (!found) throw storeNotFound();
      assertModelIdFormat(modelId);
      model = this.models.compiled(storeId, modelId);
      [name, context] = found;
    }
    const tuple: TupleRow | undefined =
      name === null
        ? undefined
        : {
            object_type: objectType, object_id: objectId, relation, user_type: user.type, user_id: user.id, user_relation: user.relation,
            condition_name: name, condition_context: context, inserted_at: '',
          };
    return { model, tuple };
  }
}
