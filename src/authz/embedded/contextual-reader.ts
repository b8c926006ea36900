import type { TupleReader } from './tuple-store.ts';
import type { TupleRow } from './tuple-row.ts';

/**
 * Contextual tuples layered over the stored ones, as OpenFGA's `CombinedTupleReader` does:
 * reads return the request's tuples followed by the stored ones, and an exact-key read prefers
 * the contextual tuple (so its condition is the one that counts).
 */
export class ContextualTupleReader implements TupleReader {
  readonly #byObject = new Map<string, TupleRow[]>();
  readonly #byUser = new Map<string, TupleRow[]>();

  constructor(
    private readonly base: TupleReader,
    rows: readonly TupleRow[],
  ) {
    for (const row of rows) {
      push(this.#byObject, `${row.object_type}:${row.object_id}#${row.relation}`, row);
      push(this.#byUser, `${row.object_type}#${row.relation}@${row.user_type}:${row.user_id}#${row.user_relation}`, row);
    }
  }

  readUserTuple(ot: string, oi: string, r: string, ut: string, ui: string, ur: string): TupleRow | undefined {
    const own = this.#byObject.get(`${ot}:${oi}#${r}`)?.find((t) => t.user_type === ut && t.user_id === ui && t.user_relation === ur);
    return own ?? this.base.readUserTuple(ot, oi, r, ut, ui, ur);
  }

  readByObject(ot: string, oi: string, r: string): TupleRow[] {
    const own = this.#byObject.get(`${ot}:${oi}#${r}`);
    const stored = this.base.readByObject(ot, oi, r);
    return own ? [...own, ...stored] : stored;
  }

  readUsersets(ot: string, oi: string, r: string): TupleRow[] {
    const own = this.#byObject.get(`${ot}:${oi}#${r}`)?.filter((t) => t.user_relation !== '');
    const stored = this.base.readUsersets(ot, oi, r);
    return own && own.length > 0 ? [...own, ...stored] : stored;
  }

  readWildcards(ot: string, oi: string, r: string, ut: string): TupleRow[] {
    const own = this.#byObject.get(`${ot}:${oi}#${r}`)?.filter((t) => t.user_type === ut && t.user_id === '*' && t.user_relation === '');
    const stored = this.base.readWildcards(ot, oi, r, ut);
    return own && own.length > 0 ? [...own, ...stored] : stored;
  }

  readByUser(ot: string, r: string, ut: string, ui: string, ur: string): TupleRow[] {
    const own = this.#byUser.get(`${ot}#${r}@${ut}:${ui}#${ur}`);
    const stored = this.base.readByUser(ot, r, ut, ui, ur);
    return own ? [...own, ...stored] : stored;
  }
}

function push(map: Map<string, TupleRow[]>, key: string, row: TupleRow): void {
  const list = map.get(key);
  if (list) list.push(row);
  else map.set(key, [row]);
}
