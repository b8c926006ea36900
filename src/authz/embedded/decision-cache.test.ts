import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import Database from 'better-sqlite3';
import { EmbeddedAuthzEngine } from './engine.ts';
import { embeddedEngine, storeWith, tk } from '../../../test/helpers/authz.ts';
import { FakeClock } from '../../lib/clock.ts';
import { dslToModel } from '../model/dsl.ts';

const env = embeddedEngine();
afterAll(() => env.close());

const MODEL = 'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user]\n    define editor: [user]\n';
const AS_EDITOR = 'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define editor: [user]\n    define viewer: [user] or editor\n';
const anne = { user: 'user:anne', relation: 'viewer', object: 'doc:1' };

/** How many Checks reached the database (a cached answer reads nothing). */
const reads = () => vi.spyOn(env.engine.prefetch, 'start');

describe('embedded engine: decision cache', () => {
  beforeEach(() => vi.restoreAllMocks());

  it('answers a repeated plain Check from memory', async () => {
    const { storeId } = await storeWith(env.engine, MODEL, [tk('doc:1', 'viewer', 'user:anne')]);
    const spy = reads();
    for (let i = 0; i < 3; i++) expect((await env.engine.check(storeId, { tuple_key: anne })).allowed).toBe(true);
    for (let i = 0; i < 2; i++) expect((await env.engine.check(storeId, { tuple_key: { ...anne, user: 'user:bob' } })).allowed).toBe(false);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('drops every answer when this process writes a tuple or a model', async () => {
    const { storeId, allowed } = await storeWith(env.engine, MODEL, [tk('doc:1', 'editor', 'user:anne')]);
    expect(await allowed('user:anne', 'viewer', 'doc:1')).toBe(false);
    await env.engine.write(storeId, { writes: { tuple_keys: [tk('doc:1', 'viewer', 'user:anne')] } });
    expect(await allowed('user:anne', 'viewer', 'doc:1')).toBe(true);
    await env.engine.write(storeId, { deletes: { tuple_keys: [tk('doc:1', 'viewer', 'user:anne')] } });
    expect(await allowed('user:anne', 'viewer', 'doc:1')).toBe(false);
    await env.engine.writeAuthorizationModel(storeId, dslToModel(AS_EDITOR));
    expect(await allowed('user:anne', 'viewer', 'doc:1')).toBe(true);
    expect(await env.engine.deleteTuplesForUser(storeId, 'user:anne')).toBe(1);
    expect(await allowed('user:anne', 'viewer', 'doc:1')).toBe(false);
  });

  it('sees a commit by another process on the same file at once, with no time window', async () => {
    const { storeId } = await storeWith(env.engine, MODEL);
    // A second connection stands for another process (the CLI): its commit moves data_version.
    const other = new Database(env.storage.sql.raw.name);
    try {
      const insert = other.prepare(
        `INSERT INTO authz_tuples (store_id, object_type, object_id, relation, user_type, user_id, user_relation, condition_name, inserted_at)
         VALUES (?, 'doc', '1', 'viewer', 'user', 'anne', '', '', ?)`,
      );
      // Synchronous from the first Check to the last: well inside any memo of data_version.
      expect(env.engine.checkSync(storeId, { tuple_key: anne }).allowed).toBe(false);
      const cached = env.engine.check(storeId, { tuple_key: anne });
      insert.run(storeId, new Date().toISOString());
      const after = env.engine.check(storeId, { tuple_key: anne });
      expect([(await cached).allowed, (await after).allowed]).toEqual([false, true]);
    } finally {
      other.close();
    }
  });

  it('keys answers by store and by requested model', async () => {
    const a = await storeWith(env.engine, MODEL, [tk('doc:1', 'editor', 'user:anne')]);
    const b = await storeWith(env.engine, AS_EDITOR, [tk('doc:1', 'editor', 'user:anne')]);
    expect(await a.allowed('user:anne', 'viewer', 'doc:1')).toBe(false);
    expect(await b.allowed('user:anne', 'viewer', 'doc:1')).toBe(true);
    const { authorization_model_id: latest } = await env.engine.writeAuthorizationModel(a.storeId, dslToModel(AS_EDITOR));
    expect(await a.allowed('user:anne', 'viewer', 'doc:1', { authorization_model_id: a.modelId })).toBe(false);
    expect(await a.allowed('user:anne', 'viewer', 'doc:1', { authorization_model_id: latest })).toBe(true);
    expect(await a.allowed('user:anne', 'viewer', 'doc:1')).toBe(true);
    expect(await a.allowed('user:anne', 'viewer', 'doc:1', { authorization_model_id: a.modelId })).toBe(false);
  });

  it('reads through for contextual tuples, request context, errors and open transactions', async () => {
    const { storeId } = await storeWith(env.engine, MODEL);
    const spy = reads();
    const contextual = { contextual_tuples: { tuple_keys: [tk('doc:1', 'viewer', 'user:anne')] } };
    for (let i = 0; i < 2; i++) expect((await env.engine.check(storeId, { tuple_key: anne, ...contextual })).allowed).toBe(true);
    expect((await env.engine.check(storeId, { tuple_key: anne })).allowed).toBe(false);
    for (let i = 0; i < 2; i++) await env.engine.check(storeId, { tuple_key: anne, context: { x: 1 } });
    for (let i = 0; i < 2; i++) {
      await expect(env.engine.check(storeId, { tuple_key: { ...anne, relation: 'owner' } })).rejects.toMatchObject({ code: 'validation_error' });
    }
    for (let i = 0; i < 2; i++) await expect(env.engine.check(storeId, { tuple_key: anne, context: [] as never })).rejects.toMatchObject({ status: 400 });
    env.storage.transaction(() => {
      env.storage.sql.raw
        .prepare(
          `INSERT INTO authz_tuples (store_id, object_type, object_id, relation, user_type, user_id, user_relation, condition_name, inserted_at)
           VALUES (?, 'doc', '1', 'viewer', 'user', 'anne', '', '', ?)`,
        )
        .run(storeId, new Date().toISOString());
      expect(env.engine.checkSync(storeId, { tuple_key: anne }).allowed).toBe(true);
    });
    expect(spy).toHaveBeenCalledTimes(10);
    expect((await env.engine.check(storeId, { tuple_key: anne })).allowed).toBe(true);
  });

  it('keeps at most its configured number of answers, and none when the size is 0', async () => {
    const small = new EmbeddedAuthzEngine(env.storage, new FakeClock(), { decisionCacheSize: 2 });
    const { storeId } = await storeWith(small, MODEL, [tk('doc:1', 'viewer', 'user:anne')]);
    const spy = vi.spyOn(small.prefetch, 'start');
    for (const user of ['user:a', 'user:b', 'user:c', 'user:c', 'user:b', 'user:a']) await small.check(storeId, { tuple_key: { ...anne, user } });
    // a, b, c miss; c and b hit; a was evicted first (oldest) when c came in.
    expect(spy).toHaveBeenCalledTimes(4);
    const off = new EmbeddedAuthzEngine(env.storage, new FakeClock(), { decisionCacheSize: 0 });
    const offSpy = vi.spyOn(off.prefetch, 'start');
    for (let i = 0; i < 3; i++) expect((await off.check(storeId, { tuple_key: anne })).allowed).toBe(true);
    expect(offSpy).toHaveBeenCalledTimes(3);
  });
});
