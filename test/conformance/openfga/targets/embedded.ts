import type { AuthorizationModel, TupleKey, User } from '@openfga/sdk';
import { rmSync } from 'node:fs';
import { EmbeddedAuthzEngine } from '../../../../src/authz/embedded/engine.ts';
import { OpenFgaError } from '../../../../src/authz/errors.ts';
import { systemClock } from '../../../../src/lib/clock.ts';
import { Storage } from '../../../../src/storage/storage.ts';
import { tempDir } from '../../../helpers/harness.ts';
import { ConformanceCallError, type ConformanceTarget } from '../target.ts';

/** Target (a): the embedded engine in process, over a real SQLite file in a temp directory. */
export async function embeddedTarget(): Promise<ConformanceTarget> {
  const dir = tempDir('portcullis-conformance-');
  const storage = Storage.open(dir, { migrateNow: true });
  const engine = new EmbeddedAuthzEngine(storage, systemClock);
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof OpenFgaError) throw ConformanceCallError.fromName(err.code, err.message);
      throw err;
    }
  };
  return {
    name: 'embedded',
    createStore: async (name) => (await engine.createStore(name)).id,
    writeModel: (storeId, model: Omit<AuthorizationModel, 'id'>) => call(async () => (await engine.writeAuthorizationModel(storeId, model)).authorization_model_id),
    writeTuples: (storeId, modelId, tuples: TupleKey[]) =>
      call(() => engine.write(storeId, { writes: { tuple_keys: tuples }, authorization_model_id: modelId })),
    check: (storeId, modelId, r) =>
      call(async () =>
        (await engine.check(storeId, {
          tuple_key: r.tupleKey,
          authorization_model_id: modelId,
          contextual_tuples: { tuple_keys: r.contextualTuples },
          context: r.context,
        })).allowed === true,
      ),
    listObjects: (storeId, modelId, r) =>
      call(async () =>
        (await engine.listObjects(storeId, {
          authorization_model_id: modelId, user: r.user, type: r.type, relation: r.relation,
          contextual_tuples: { tuple_keys: r.contextualTuples }, context: r.context,
        })).objects,
      ),
    listUsers: (storeId, modelId, r) =>
      call(async () =>
        (await engine.listUsers(storeId, {
          authorization_model_id: modelId, object: r.object, relation: r.relation, user_filters: r.filters,
          contextual_tuples: r.contextualTuples, context: r.context,
        })).users.map(userString),
      ),
    close: async () => {
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function userString(u: User): string {
  if (u.object) return `${u.object.type}:${u.object.id}`;
  if (u.userset) return `${u.userset.type}:${u.userset.id}#${u.userset.relation}`;
  return `${u.wildcard?.type}:*`;
}
