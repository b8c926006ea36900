import type Database from 'better-sqlite3';
import type { Sql } from '../../storage/database.ts';
import { prepareReaderStatements, SqliteTupleReader, type ReaderStatements } from './sqlite-tuple-reader.ts';
import type { TupleRow } from './tuple-row.ts';

const COLUMNS = 'object_type, object_id, relation, user_type, user_id, user_relation, condition_name, condition_context, inserted_at';

/**
 * The tuple reads the evaluators need, for one store. Synchronous (better-sqlite3), so a whole
 * Check runs without yielding and always sees one consistent state. Rows read here leave
 * `inserted_at` empty (no evaluator uses it).
 */
export interface TupleReader {
  /** The tuple `object#relation@user`, if stored (contextual tuples take precedence). */
  readUserTuple(objectType: string, objectId: string, relation: string, userType: string, userId: string, userRelation: string): TupleRow | undefined;
  /** Every tuple on `object#relation`. */
  readByObject(objectType: string, objectId: string, relation: string): TupleRow[];
  /** The tuples on `object#relation` whose user is a userset (`group:eng#member`). */
  readUsersets(objectType: string, objectId: string, relation: string): TupleRow[];
  /** The tuples on `object#relation` whose user is the wildcard `userType:*`. */
  readWildcards(objectType: string, objectId: string, relation: string, userType: string): TupleRow[];
  /** Reverse direction: tuples `objectType:*#relation@user` for one exact user. */
  readByUser(objectType: string, relation: string, userType: string, userId: string, userRelation: string): TupleRow[];
  /**
   * Optional: the ids of every `type:id` whose `relation` a user reaches through condition-free
   * tuples `type:id#relation@user` (the user's own, `seedIds`) and `type:a#relation@type:b#relation`
   * (nesting), in one query. Absent when contextual tuples are in play (the caller walks instead).
   */
  reachable?(type: string, relation: string, userType: string, seedIds: readonly [string | null, string | null]): string[];
}

/** SQL over `authz_tuples`. Every statement filters by `store_id`; statements are prepared once. */
export class SqliteTupleStore {
  readonly #one: Database.Statement<unknown[], TupleRow>;
  readonly #insert: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #change: Database.Statement;
  readonly #statements: ReaderStatements;

  constructor(readonly sql: Sql) {
    const where = 'store_id = ? AND object_type = ? AND object_id = ? AND relation = ?';
    this.#one = sql.prepare(`SELECT ${COLUMNS} FROM authz_tuples WHERE ${where} AND user_type = ? AND user_id = ? AND user_relation = ?`);
    this.#statements = prepareReaderStatements(sql);
    this.#insert = sql.prepare(
      `INSERT INTO authz_tuples (store_id, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    );
    this.#delete = sql.prepare(`DELETE FROM authz_tuples WHERE ${where} AND user_type = ? AND user_id = ? AND user_relation = ?`);
    this.#change = sql.prepare(
      `INSERT INTO authz_changes (store_id, object_type, object_id, relation, user, condition_name, condition_context, operation, occurred_at, occurred_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  reader(storeId: string): TupleReader {
    return new SqliteTupleReader(this.#statements, storeId);
  }

  find(storeId: string, row: TupleRow): TupleRow | undefined {
    return this.#one.get(storeId, row.object_type, row.object_id, row.relation, row.user_type, row.user_id, row.user_relation);
  }

  /** Inserts one tuple; false (and nothing written) when a tuple with the same key exists. */
  insert(storeId: string, row: TupleRow): boolean {
    return this.#insert.run(
      storeId, row.object_type, row.object_id, row.relation, row.user_type, row.user_id, row.user_relation,
      row.condition_name, row.condition_context, row.inserted_at,
    ).changes > 0;
  }

  /** Deletes one tuple; true when it existed. */
  delete(storeId: string, row: TupleRow): boolean {
    return this.#delete.run(storeId, row.object_type, row.object_id, row.relation, row.user_type, row.user_id, row.user_relation).changes > 0;
  }

  /** Appends to the changelog; deletes are recorded without their condition, as OpenFGA does. */
  recordChange(storeId: string, row: TupleRow, operation: 'write' | 'delete', at: Date, user: string): void {
    const write = operation === 'write';
    this.#change.run(
      storeId, row.object_type, row.object_id, row.relation, user,
      write ? row.condition_name : '', write ? row.condition_context : null, operation, at.toISOString(), at.getTime(),
    );
  }

  /** Every tuple whose user is exactly `userType:userId[#userRelation]`. */
  byExactUser(storeId: string, userType: string, userId: string, userRelation: string): TupleRow[] {
    return this.sql
      .prepare<unknown[], TupleRow>(`SELECT ${COLUMNS} FROM authz_tuples WHERE store_id = ? AND user_type = ? AND user_id = ? AND user_relation = ?`)
      .all(storeId, userType, userId, userRelation);
  }

  /** Every tuple on an object, any relation. */
  byExactObject(storeId: string, objectType: string, objectId: string): TupleRow[] {
    return this.sql
      .prepare<unknown[], TupleRow>(`SELECT ${COLUMNS} FROM authz_tuples WHERE store_id = ? AND object_type = ? AND object_id = ?`)
      .all(storeId, objectType, objectId);
  }
}

