import {
  ConsistencyPreference,
  WriteRequestDeletesOnMissing,
  WriteRequestWritesOnDuplicate,
  type OpenFgaApi,
  type ReadRequest,
  type TupleKey,
  type TupleKeyWithoutCondition,
} from '@openfga/sdk';
import { OpenFgaError } from '../errors.ts';
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

/**
 * Idempotent bulk changes in chunks the server accepts: deletes first, then writes. Chunks are of
 * OpenFGA's default limit; a server run with a lower `--max-tuples-per-write` refuses them
 * (`exceeded_entity_limit`), and gets them again in the size its message names (else halved).
 */
export async function applyIdempotently(
  api: OpenFgaApi,
  storeId: string,
  change: { writes?: TupleKey[]; deletes?: TupleKeyWithoutCondition[] },
): Promise<number> {
  const limit = { size: MAX_TUPLES_PER_WRITE };
  const deleted = await inChunks(change.deletes ?? [], limit, (chunk) =>
    api.write(storeId, { deletes: { tuple_keys: chunk.map(withoutCondition), on_missing: WriteRequestDeletesOnMissing.Ignore } }),
  );
  const written = await inChunks(change.writes ?? [], limit, (chunk) => api.write(storeId, { writes: { tuple_keys: chunk, on_duplicate: WriteRequestWritesOnDuplicate.Ignore } }));
  return deleted + written;
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

async function inChunks<T>(items: T[], limit: { size: number }, send: (chunk: T[]) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < items.length; ) {
    const chunk = items.slice(i, i + limit.size);
    try {
      await fga(() => send(chunk));
      i += chunk.length;
    } catch (err) {
      const smaller = chunk.length > 1 && err instanceof OpenFgaError && err.code === 'exceeded_entity_limit' ? allowedSize(err.message, chunk.length) : undefined;
      if (smaller === undefined) throw err;
      limit.size = smaller;
    }
  }
  return items.length;
}

/** The limit the server's message names ("… exceeds the allowed limit of 10"), when below `tried`; else half of `tried`. */
function allowedSize(message: string, tried: number): number {
  const named = Number(/allowed limit of (\d+)/.exec(message)?.[1]);
  return Number.isInteger(named) && named >= 1 && named < tried ? named : Math.max(1, Math.floor(tried / 2));
}
