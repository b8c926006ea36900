import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedAuthzEngine } from './engine.ts';
import { embeddedEngine, storeWith, tk } from '../../../test/helpers/authz.ts';

const env = embeddedEngine();
afterAll(() => env.close());

const MODEL = 'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user]\n';

describe('embedded engine: stores', () => {
  it('keeps every store to itself: tuples, models and changes', async () => {
    const a = await storeWith(env.engine, MODEL, [tk('doc:1', 'viewer', 'user:anne')]);
    const b = await storeWith(env.engine, MODEL);
    expect(await a.allowed('user:anne', 'viewer', 'doc:1')).toBe(true);
    expect(await b.allowed('user:anne', 'viewer', 'doc:1')).toBe(false);
    expect((await env.engine.read(b.storeId, {})).tuples).toEqual([]);
    expect((await env.engine.readChanges(b.storeId, {})).changes).toEqual([]);
    await expect(env.engine.readAuthorizationModel(b.storeId, a.modelId)).rejects.toMatchObject({ code: 'authorization_model_not_found' });
    expect(await env.engine.deleteTuplesForUser(b.storeId, 'user:anne')).toBe(0);
    expect(await a.allowed('user:anne', 'viewer', 'doc:1')).toBe(true);
  });

  it('answers store_id_not_found for a store that does not exist or was deleted', async () => {
    const { storeId } = await storeWith(env.engine, MODEL, [tk('doc:1', 'viewer', 'user:anne')]);
    await env.engine.deleteStore(storeId);
    for (const call of [
      env.engine.check(storeId, { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1' } }),
      env.engine.read(storeId, {}),
      env.engine.readAuthorizationModels(storeId, {}),
      env.engine.write(storeId, { writes: { tuple_keys: [tk('doc:1', 'viewer', 'user:bob')] } }),
      env.engine.getStore('01HZZZZZZZZZZZZZZZZZZZZZZZ'),
    ]) {
      await expect(call).rejects.toMatchObject({ code: 'store_id_not_found', status: 404 });
    }
    expect(env.storage.sql.prepare('SELECT count(*) AS n FROM authz_tuples WHERE store_id = ?').get(storeId)).toEqual({ n: 0 });
  });

  it('issues model ids that sort in write order within one millisecond', async () => {
    const { storeId } = await storeWith(env.engine, MODEL);
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await env.engine.writeAuthorizationModel(storeId, (await env.engine.readAuthorizationModel(storeId)) as never)).authorization_model_id);
    expect([...ids].sort()).toEqual(ids);
    expect((await env.engine.readAuthorizationModel(storeId)).id).toBe(ids[4]);
  });
});

describe('embedded engine: consistency', () => {
  it('sees a model and tuples written by another engine on the same database at once', async () => {
    const other = new EmbeddedAuthzEngine(env.storage, env.clock);
    const { storeId } = await storeWith(env.engine, MODEL);
    await other.write(storeId, { writes: { tuple_keys: [tk('doc:1', 'viewer', 'user:anne')] } });
    expect((await env.engine.check(storeId, { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1' } })).allowed).toBe(true);
    const newer = await other.writeAuthorizationModel(storeId, {
      schema_version: '1.1',
      type_definitions: [{ type: 'user' }, { type: 'doc', relations: { viewer: { this: {} }, editor: { this: {} } }, metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user' }] }, editor: { directly_related_user_types: [{ type: 'user' }] } } } }],
    });
    expect((await env.engine.readAuthorizationModel(storeId)).id).toBe(newer.authorization_model_id);
  });

  it('rolls back a write that fails inside the caller transaction along with the caller', async () => {
    const { storeId } = await storeWith(env.engine, MODEL);
    expect(() =>
      env.storage.transaction(() => {
        env.engine.writeSync(storeId, { writes: { tuple_keys: [tk('doc:1', 'viewer', 'user:anne')] } });
        throw new Error('caller failed after the write');
      }),
    ).toThrow('caller failed');
    expect((await env.engine.read(storeId, {})).tuples).toEqual([]);
    expect((await env.engine.readChanges(storeId, {})).changes).toEqual([]);
  });
});

describe('embedded engine: lists', () => {
  it('returns every object and every user, however many, without truncation', async () => {
    const tuples = Array.from({ length: 2500 }, (_, i) => tk(`doc:${i}`, 'viewer', 'user:anne'));
    const users = Array.from({ length: 1500 }, (_, i) => tk('doc:shared', 'viewer', `user:u${i}`));
    const { storeId } = await storeWith(env.engine, MODEL, [...tuples, ...users]);
    const objects = await env.engine.listObjects(storeId, { type: 'doc', relation: 'viewer', user: 'user:anne' });
    expect(objects.objects).toHaveLength(2500);
    expect(objects.truncated).toBeFalsy();
    const listed = await env.engine.listUsers(storeId, { object: { type: 'doc', id: 'shared' }, relation: 'viewer', user_filters: [{ type: 'user' }] });
    expect(listed.users).toHaveLength(1500);
    expect(listed.truncated).toBeFalsy();
  });
});
