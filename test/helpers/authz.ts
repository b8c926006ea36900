import type { TupleKey } from '@openfga/sdk';
import { rmSync } from 'node:fs';
import { EmbeddedAuthzEngine } from '../../src/authz/embedded/engine.ts';
import { dslToModel } from '../../src/authz/model/dsl.ts';
import { FakeClock } from '../../src/lib/clock.ts';
import { Storage } from '../../src/storage/storage.ts';
import { tempDir } from './harness.ts';

/** An embedded engine over a real SQLite file in a temp dir; `close()` removes it. */
export function embeddedEngine(): { engine: EmbeddedAuthzEngine; storage: Storage; clock: FakeClock; close(): void } {
  const dir = tempDir('portcullis-authz-');
  const storage = Storage.open(dir, { migrateNow: true });
  const clock = new FakeClock('2026-02-01T09:00:00.000Z');
  const engine = new EmbeddedAuthzEngine(storage, clock);
  return {
    engine,
    storage,
    clock,
    close: () => {
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A store with `dsl` as its model and `tuples` written; `allowed()` runs a Check. */
export async function storeWith(engine: EmbeddedAuthzEngine, dsl: string, tuples: TupleKey[] = []) {
  const store = await engine.createStore('unit test');
  const { authorization_model_id: modelId } = await engine.writeAuthorizationModel(store.id, dslToModel(dsl));
  for (let i = 0; i < tuples.length; i += 100) await engine.write(store.id, { writes: { tuple_keys: tuples.slice(i, i + 100) } });
  const allowed = async (user: string, relation: string, object: string, extra: object = {}) =>
    (await engine.check(store.id, { tuple_key: { user, relation, object }, ...extra })).allowed === true;
  return { storeId: store.id, modelId, allowed };
}

export const tk = (object: string, relation: string, user: string, condition?: TupleKey['condition']): TupleKey =>
  condition ? { object, relation, user, condition } : { object, relation, user };
