import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedStagedTupleWriter } from './staged-writer.ts';
import { embeddedEngine, storeWith, tk } from '../../../test/helpers/authz.ts';

const env = embeddedEngine();
afterAll(() => env.close());
const writer = new EmbeddedStagedTupleWriter(env.engine);

const MODEL = 'model\n  schema 1.1\ntype user\ntype group\n  relations\n    define member: [user]\ntype doc\n  relations\n    define viewer: [user, group#member]\n';

describe('embedded staged tuple writer', () => {
  it('applies a staged change inside the caller transaction, visible before commit', async () => {
    const { storeId, allowed } = await storeWith(env.engine, MODEL);
    const staged = env.storage.transaction(() => {
      const s = writer.stage(storeId, { writes: [tk('group:eng', 'member', 'user:anne')] });
      expect(env.engine.checkSync(storeId, { tuple_key: { user: 'user:anne', relation: 'member', object: 'group:eng' } }).allowed).toBe(true);
      return s;
    });
    expect(staged.staged).toBe(1);
    expect(await staged.flush()).toBe(1);
    expect(await allowed('user:anne', 'member', 'group:eng')).toBe(true);
  });

  it('rolls a staged change back with the caller transaction', async () => {
    const { storeId, allowed } = await storeWith(env.engine, MODEL);
    expect(() =>
      env.storage.transaction(() => {
        writer.stage(storeId, { writes: [tk('group:eng', 'member', 'user:anne')] });
        throw new Error('directory change failed');
      }),
    ).toThrow('directory change failed');
    expect(await allowed('user:anne', 'member', 'group:eng')).toBe(false);
  });

  it('treats existing writes, missing deletes and repeats as no-ops, beyond 100 changes', async () => {
    const { storeId } = await storeWith(env.engine, MODEL, [tk('group:eng', 'member', 'user:u0')]);
    const writes = Array.from({ length: 150 }, (_, i) => tk('group:eng', 'member', `user:u${i}`));
    const result = env.storage.transaction(() => writer.stage(storeId, { writes: [...writes, writes[1]!], deletes: [tk('group:ops', 'member', 'user:zed')] }));
    expect(result.staged).toBe(149);
  });

  it('deletes a deprovisioned user everywhere, and a deleted group with every tuple on it', async () => {
    const { storeId, allowed } = await storeWith(env.engine, MODEL, [
      tk('group:eng', 'member', 'user:anne'),
      tk('doc:1', 'viewer', 'user:anne'),
      tk('doc:2', 'viewer', 'group:eng#member'),
      tk('group:eng', 'member', 'user:bob'),
    ]);
    expect(env.storage.transaction(() => writer.stageDeleteTuplesForUser(storeId, 'user:anne')).staged).toBe(2);
    expect(await allowed('user:anne', 'viewer', 'doc:1')).toBe(false);
    expect(await allowed('user:bob', 'viewer', 'doc:2')).toBe(true);
    expect(env.storage.transaction(() => writer.stageDeleteTuplesForObject(storeId, 'group:eng')).staged).toBe(1);
    expect(await allowed('user:bob', 'viewer', 'doc:2')).toBe(false);
    expect(env.storage.transaction(() => writer.stageDeleteTuplesForUser(storeId, 'group:eng#member')).staged).toBe(1);
    const changes = await env.engine.readChanges(storeId, {});
    expect(changes.changes.filter((c) => c.operation === 'TUPLE_OPERATION_DELETE')).toHaveLength(4);
  });
});

describe('embedded staged tuple writer: failures', () => {
  it('leaves nothing behind from a failed change when the caller catches the error and commits', async () => {
    const { storeId, allowed } = await storeWith(env.engine, MODEL, [tk('group:eng', 'member', 'user:anne', undefined)]);
    env.storage.transaction(() => {
      expect(() => writer.stage(storeId, { writes: [tk('group:eng', 'member', 'user:bob'), tk('group:eng', 'member', 'group:x#member')] })).toThrow();
      expect(() =>
        env.engine.writeSync(storeId, { deletes: { tuple_keys: [tk('group:eng', 'member', 'user:anne'), tk('group:eng', 'member', 'user:zed')] } }),
      ).toThrow(expect.objectContaining({ code: 'write_failed_due_to_invalid_input' }));
    });
    expect(await allowed('user:bob', 'member', 'group:eng')).toBe(false);
    expect(await allowed('user:anne', 'member', 'group:eng')).toBe(true);
  });
});
