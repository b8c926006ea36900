import {
  ConsistencyPreference,
  WriteRequestDeletesOnMissing,
  WriteRequestWritesOnDuplicate,
  type OpenFgaApi,
  type ReadRequest,
  type TupleKey,
  type TupleKeyWithoutCondition,
} from '@openfga/sdk';
import { fga } from './errors.ts';

/** OpenFGA's default `--max-tuples-per-write`. */
export const MAX_TUPLES_PER_WRITE = 100;
const READ_PAGE = 100;

/** Every tuple matching a Read filter, all pages, read with higher consistency. */
export async function readAll(api: OpenFgaApi, storeId: string, tupleKey: ReadRequest['tuple_key']): Promise<TupleKey[]> {
  const out: TupleKey[] = [];
  let token: string | undefined;
  do {
    const page = await fga(() =>
      api.read(storeId, {
        tuple_key: tupleKey,
        page_size: READ_PAGE,
        continuation_token: token,
        consistency: ConsistencyPreference.HigherConsistency,
      }),
    );
    for (const t of page.tuples) out.push(t.key);
    token = page.continuation_token || undefined;
  } while (token);
  return out;
}

/** The type names of every model the store ever had (tuples written under older models stay). */
export async function allTypeNames(api: OpenFgaApi, storeId: string): Promise<string[]> {
  const types = new Set<string>();
  let token: string | undefined;
  do {
    const page = await fga(() => api.readAuthorizationModels(storeId, 50, token));
    for (const m of page.authorization_models) for (const t of m.type_definitions) types.add(t.type);
    token = page.continuation_token || undefined;
  } while (token);
  return [...types];
}

/** Idempotent bulk changes in chunks the server accepts: deletes first, then writes. */
export async function applyIdempotently(
  api: OpenFgaApi,
  storeId: string,
  change: { writes?: TupleKey[]; deletes?: TupleKeyWithoutCondition[] },
): Promise<number> {
  let n = 0;
  for (const chunk of chunks(change.deletes ?? [])) {
    await fga(() => api.write(storeId, { deletes: { tuple_keys: chunk.map(withoutCondition), on_missing: WriteRequestDeletesOnMissing.Ignore } }));
    n += chunk.length;
  }
  for (const chunk of chunks(change.writes ?? [])) {
    await fga(() => api.write(storeId, { writes: { tuple_keys: chunk, on_duplicate: WriteRequestWritesOnDuplicate.Ignore } }));
    n += chunk.length;
  }
  return n;
}

/** Deletes every tuple whose user is exactly `user`, across every type the store knows. */
export async function deleteTuplesForUser(api: OpenFgaApi, storeId: string, user: string): Promise<number> {
  const found: TupleKey[] = [];
  for (const type of await allTypeNames(api, storeId)) found.push(...(await readAll(api, storeId, { user, object: `${type}:` })));
  return applyIdempotently(api, storeId, { deletes: found });
}

/** Deletes every tuple whose object is exactly `object`. */
export async function deleteTuplesForObject(api: OpenFgaApi, storeId: string, object: string): Promise<number> {
  return applyIdempotently(api, storeId, { deletes: await readAll(api, storeId, { object }) });
}

const withoutCondition = ({ user, relation, object }: TupleKeyWithoutCondition): TupleKeyWithoutCondition => ({ user, relation, object });

function* chunks<T>(items: T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += MAX_TUPLES_PER_WRITE) yield items.slice(i, i + MAX_TUPLES_PER_WRITE);
}
