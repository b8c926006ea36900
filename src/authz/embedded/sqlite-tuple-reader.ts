import type Database from 'better-sqlite3';
import type { Sql } from '../../storage/database.ts';
import type { TupleReader } from './tuple-store.ts';
import type { TupleRow } from './tuple-row.ts';

type Raw = Database.Statement<unknown[], unknown[]>;

/** The evaluators' statements, prepared once per engine (raw rows: arrays, not objects). */
export interface ReaderStatements {
  condition: Raw;
  byObject: Raw;
  usersets: Raw;
  byUser: Raw;
  reachable: Database.Statement<unknown[], string>;
}

const OBJECT = 'store_id = ? AND object_type = ? AND object_id = ? AND relation = ?';

export function prepareReaderStatements(sql: Sql): ReaderStatements {
  // Own statements (not Sql.prepare's shared cache): `.raw()` changes how a statement returns rows.
  const raw = (text: string) => sql.raw.prepare(text).raw() as Raw;
  return {
    condition: raw(`SELECT condition_name, condition_context FROM authz_tuples WHERE ${OBJECT} AND user_type = ? AND user_id = ? AND user_relation = ?`),
    byObject: raw(`SELECT user_type, user_id, user_relation, condition_name, condition_context FROM authz_tuples WHERE ${OBJECT}`),
    usersets: raw(
      `SELECT user_type, user_id, user_relation, condition_name, condition_context FROM authz_tuples INDEXED BY authz_tuples_usersets
       WHERE ${OBJECT} AND user_relation != ''`,
    ),
    byUser: raw(
      `SELECT object_id, condition_name, condition_context FROM authz_tuples
       WHERE store_id = ? AND user_type = ? AND user_id = ? AND user_relation = ? AND object_type = ? AND relation = ?`,
    ),
    // INDEXED BY and CROSS JOIN pin the plan: left to itself, SQLite scans every tuple of the type
    // (`user_id IN (...)` on the seed, and the join order of the recursive step).
    reachable: (
      sql.raw.prepare(
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
      ) as Database.Statement<unknown[], string>
    ).pluck(),
  };
}

/**
 * One store's tuples for one query. Selects only the columns the query does not already know
 * and returns raw arrays, then builds rows of one shape: most of a Check's time is these reads.
 */
export class SqliteTupleReader implements TupleReader {
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
