import type Database from 'better-sqlite3';
import type { Sql } from '../../storage/database.ts';
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

type Raw = Database.Statement<unknown[], unknown[]>;

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
    const raw = (text: string) => sql.raw.prepare(text).raw() as Raw;
    this.#statements = {
      condition: raw(`SELECT condition_name, condition_context FROM authz_tuples WHERE ${where} AND user_type = ? AND user_id = ? AND user_relation = ?`),
      byObject: raw(`SELECT user_type, user_id, user_relation, condition_name, condition_context FROM authz_tuples WHERE ${where}`),
      usersets: raw(
        `SELECT user_type, user_id, user_relation, condition_name, condition_context FROM authz_tuples INDEXED BY authz_tuples_usersets
         WHERE ${where} AND user_relation != ''`,
      ),
      byUser: raw(
        `SELECT object_id, condition_name, condition_context FROM authz_tuples
         WHERE store_id = ? AND user_type = ? AND user_id = ? AND user_relation = ? AND object_type = ? AND relation = ?`,
      ),
      reachable: (sql.raw.prepare(
        `WITH RECURSIVE reached(id) AS (
           SELECT object_id FROM authz_tuples INDEXED BY authz_tuples_by_user
            WHERE store_id = ? AND user_type = ? AND user_id IN (?, ?) AND user_relation = '' AND object_type = ? AND relation = ?
              AND condition_name = ''
           UNION
           SELECT t.object_id FROM reached CROSS JOIN authz_tuples t INDEXED BY authz_tuples_by_user
             ON t.store_id = ? AND t.user_type = ? AND t.user_id = reached.id AND t.user_relation = ? AND t.object_type = ?
            AND t.relation = ? AND t.condition_name = ''
         )
         SELECT id FROM reached`,
      ) as Database.Statement<unknown[], string>).pluck(),
    };
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

interface ReaderStatements {
  condition: Raw;
  byObject: Raw;
  usersets: Raw;
  byUser: Raw;
  reachable: Database.Statement<unknown[], string>;
}

/**
 * One store's tuples for one query. Selects only the columns the query does not already know
 * and returns raw arrays, then builds rows of one shape: most of a Check's time is these reads.
 */
class SqliteTupleReader implements TupleReader {
  constructor(
    private readonly s: ReaderStatements,
    private readonly storeId: string,
  ) {}

  readUserTuple(ot: string, oi: string, r: string, ut: string, ui: string, ur: string): TupleRow | undefined {
    const c = this.s.condition.get(this.storeId, ot, oi, r, ut, ui, ur) as [string, string | null] | undefined;
    return c && row(ot, oi, r, ut, ui, ur, c[0], c[1]);
  }

  readByObject(ot: string, oi: string, r: string): TupleRow[] {
    return objectRows(this.s.byObject.all(this.storeId, ot, oi, r), ot, oi, r);
  }

  readUsersets(ot: string, oi: string, r: string): TupleRow[] {
    return objectRows(this.s.usersets.all(this.storeId, ot, oi, r), ot, oi, r);
  }

  readWildcards(ot: string, oi: string, r: string, ut: string): TupleRow[] {
    const found = this.readUserTuple(ot, oi, r, ut, '*', '');
    return found ? [found] : [];
  }

  readByUser(ot: string, r: string, ut: string, ui: string, ur: string): TupleRow[] {
    const rows = this.s.byUser.all(this.storeId, ut, ui, ur, ot, r) as [string, string, string | null][];
    const out: TupleRow[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const c = rows[i] as [string, string, string | null];
      out[i] = row(ot, c[0], r, ut, ui, ur, c[1], c[2]);
    }
    return out;
  }

  reachable(type: string, relation: string, userType: string, seedIds: readonly [string | null, string | null]): string[] {
    const store = this.storeId;
    return this.s.reachable.all(store, userType, seedIds[0], seedIds[1], type, relation, store, type, relation, type, relation);
  }
}

function objectRows(raw: unknown[][], ot: string, oi: string, r: string): TupleRow[] {
  const out: TupleRow[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as [string, string, string, string, string | null];
    out[i] = row(ot, oi, r, c[0], c[1], c[2], c[3], c[4]);
  }
  return out;
}

function row(ot: string, oi: string, r: string, ut: string, ui: string, ur: string, cn: string, cc: string | null): TupleRow {
  return {
    object_type: ot, object_id: oi, relation: r, user_type: ut, user_id: ui, user_relation: ur,
    condition_name: cn, condition_context: cc, inserted_at: '',
  };
}
