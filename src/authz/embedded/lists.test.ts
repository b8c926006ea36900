import { afterAll, describe, expect, it } from 'vitest';
import { embeddedEngine, storeWith, tk } from '../../../test/helpers/authz.ts';

const env = embeddedEngine();
afterAll(() => env.close());

const objects = async (storeId: string, user: string, relation: string, type: string, extra: object = {}) =>
  (await env.engine.listObjects(storeId, { user, relation, type, ...extra })).objects.sort();

const users = async (storeId: string, object: string, relation: string, filter: { type: string; relation?: string }) => {
  const [type, id] = object.split(':') as [string, string];
  const res = await env.engine.listUsers(storeId, { object: { type, id }, relation, user_filters: [filter] });
  return res.users.map((u) => (u.object ? `${u.object.type}:${u.object.id}` : u.userset ? `${u.userset.type}:${u.userset.id}#${u.userset.relation}` : `${u.wildcard?.type}:*`)).sort();
};

describe('list objects', () => {
  const model = `model
  schema 1.1
type user
type folder
  relations
    define viewer: [user, user:*]
type doc
  relations
    define parent: [folder]
    define allowed: [user with small]
    define viewer: [user] or viewer from parent
    define approver: viewer and allowed
    define visible: viewer but not hidden
    define hidden: [user]
condition small(x: int) {
  x < 10
}
`;

  it('confirms objects reached through an intersection or an exclusion with a check', async () => {
    const { storeId } = await storeWith(env.engine, model, [
      tk('doc:1', 'viewer', 'user:anne'),
      tk('doc:2', 'viewer', 'user:anne'),
      tk('doc:2', 'hidden', 'user:anne'),
      tk('doc:1', 'allowed', 'user:anne', { name: 'small', context: { x: 1 } }),
      tk('doc:3', 'parent', 'folder:pub'),
      tk('folder:pub', 'viewer', 'user:*'),
    ]);
    expect(await objects(storeId, 'user:anne', 'viewer', 'doc')).toEqual(['doc:1', 'doc:2', 'doc:3']);
    expect(await objects(storeId, 'user:anne', 'visible', 'doc')).toEqual(['doc:1', 'doc:3']);
    expect(await objects(storeId, 'user:anne', 'approver', 'doc')).toEqual(['doc:1']);
    expect(await objects(storeId, 'user:zed', 'viewer', 'doc')).toEqual(['doc:3']);
  });

  it('walks only the first operand of an intersection, so a condition elsewhere does not fail the list', async () => {
    const { storeId } = await storeWith(env.engine, model, [tk('doc:9', 'allowed', 'user:anne', { name: 'small' }), tk('doc:1', 'viewer', 'user:bob')]);
    expect(await objects(storeId, 'user:anne', 'approver', 'doc')).toEqual([]);
    await expect(objects(storeId, 'user:anne', 'allowed', 'doc')).rejects.toMatchObject({ code: 'validation_error' });
  });

  it('lists the objects of a userset user, including its own', async () => {
    const { storeId } = await storeWith(env.engine, 'model\n  schema 1.1\ntype user\ntype group\n  relations\n    define member: [user, group#member]\n', [
      tk('group:all', 'member', 'group:eng#member'),
    ]);
    expect(await objects(storeId, 'group:eng#member', 'member', 'group')).toEqual(['group:all', 'group:eng']);
  });
});

describe('list users', () => {
  const model = `model
  schema 1.1
type user
type group
  relations
    define admin: [user]
    define member: [user, group#member] but not admin
type folder
  relations
    define viewer: [user:*]
type doc
  relations
    define editor: [group#member, folder#viewer]
    define gated: [group#member] and editor
`;

  it('lists a wildcard, and users an exclusion keeps, the way OpenFGA does', async () => {
    const { storeId } = await storeWith(env.engine, model, [
      tk('doc:1', 'editor', 'folder:pub#viewer'),
      tk('folder:pub', 'viewer', 'user:*'),
      tk('doc:1', 'editor', 'group:eng#member'),
      tk('group:eng', 'member', 'user:anne'),
      tk('group:eng', 'member', 'user:bob'),
      tk('group:eng', 'admin', 'user:bob'),
    ]);
    // bob can edit through the wildcard, but OpenFGA's expansion reports him as removed by the
    // group's exclusion, so he is not listed individually.
    expect(await users(storeId, 'doc:1', 'editor', { type: 'user' })).toEqual(['user:*', 'user:anne']);
    expect((await env.engine.check(storeId, { tuple_key: { user: 'user:bob', relation: 'editor', object: 'doc:1' } })).allowed).toBe(true);
    expect(await users(storeId, 'doc:1', 'editor', { type: 'group', relation: 'member' })).toEqual(['group:eng#member']);
  });

  it('answers an empty list, without evaluating anything, for a filter that only reaches past an intersection first operand', async () => {
    const { storeId } = await storeWith(env.engine, model, [tk('doc:1', 'editor', 'folder:pub#viewer'), tk('folder:pub', 'viewer', 'user:*')]);
    expect(await users(storeId, 'doc:1', 'gated', { type: 'folder', relation: 'viewer' })).toEqual([]);
  });
});
