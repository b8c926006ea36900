import { beforeAll, describe, expect, it } from 'vitest';
import { allowed, expectCode, freshStore, readAll, t, type ContractContext } from './fixture.ts';

/** Tuples for the query cases: nested groups, a public folder, exclusion, intersection, a condition. */
const TUPLES = [
  t('group:eng', 'member', 'user:anne'),
  t('group:all', 'member', 'group:eng#member'),
  t('folder:f', 'viewer', 'group:all#member'),
  t('folder:f', 'owner', 'user:olga'),
  t('folder:pub', 'viewer', 'user:*'),
  t('document:1', 'parent', 'folder:f'),
  t('document:2', 'parent', 'folder:pub'),
  t('document:3', 'viewer', 'user:bob'),
  t('document:3', 'blocked', 'user:bob'),
  t('document:4', 'owner', 'user:carl'),
  t('document:4', 'approver', 'user:carl'),
  t('document:5', 'approver', 'user:dan'),
  t('document:6', 'editor', 'user:eve', { name: 'in_region', context: { allowed: ['eu'] } }),
];

/** Contract cases for Check, BatchCheck, ListObjects, ListUsers, Expand and bulk deletion. */
export function registerQueryContract(ctx: ContractContext): void {
  describe('queries', () => {
    let storeId = '';
    beforeAll(async () => {
      storeId = (await freshStore(ctx.engine, TUPLES)).storeId;
    });
    const check = (user: string, relation: string, object: string, extra: object = {}) => allowed(ctx.engine, storeId, user, relation, object, extra);

    it('follows usersets, nested groups, computed relations and tuple-to-usersets', async () => {
      expect(await check('user:anne', 'viewer', 'document:1')).toBe(true);
      expect(await check('user:olga', 'viewer', 'document:1')).toBe(true);
      expect(await check('group:eng#member', 'viewer', 'document:1')).toBe(true);
      expect(await check('user:carl', 'viewer', 'document:4')).toBe(true);
      expect(await check('user:zed', 'viewer', 'document:1')).toBe(false);
    });

    it('grants a wildcard tuple to every user of the type and to no other object', async () => {
      expect(await check('user:zed', 'viewer', 'document:2')).toBe(true);
      expect(await check('user:zed', 'viewer', 'folder:pub')).toBe(true);
      expect(await check('user:zed', 'viewer', 'folder:f')).toBe(false);
    });

    it('applies exclusion and intersection', async () => {
      expect(await check('user:bob', 'viewer', 'document:3')).toBe(false);
      expect(await check('user:carl', 'approver', 'document:4')).toBe(true);
      expect(await check('user:dan', 'approver', 'document:5')).toBe(false);
    });

    it('evaluates a condition with the request context and fails without it', async () => {
      expect(await check('user:eve', 'editor', 'document:6', { context: { region: 'eu' } })).toBe(true);
      expect(await check('user:eve', 'editor', 'document:6', { context: { region: 'us' } })).toBe(false);
      await expectCode(ctx.engine.check(storeId, { tuple_key: { user: 'user:eve', relation: 'editor', object: 'document:6' } }), 'validation_error');
    });

    it('uses contextual tuples for one request only', async () => {
      const contextual_tuples = { tuple_keys: [t('document:3', 'viewer', 'user:zed')] };
      expect(await check('user:zed', 'viewer', 'document:3', { contextual_tuples })).toBe(true);
      expect(await check('user:zed', 'viewer', 'document:3')).toBe(false);
    });

    it('rejects unknown relations and types with validation_error and bad contextual tuples with invalid_tuple', async () => {
      await expectCode(ctx.engine.check(storeId, { tuple_key: { user: 'user:anne', relation: 'nope', object: 'document:1' } }), 'validation_error');
      await expectCode(ctx.engine.check(storeId, { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1' } }), 'validation_error');
      await expectCode(
        ctx.engine.check(storeId, {
          tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:1' },
          contextual_tuples: { tuple_keys: [t('doc:1', 'viewer', 'user:anne')] },
        }),
        'invalid_tuple',
      );
    });

    it('answers each batch item on its own, errors included', async () => {
      const res = await ctx.engine.batchCheck(storeId, {
        checks: [
          { correlation_id: 'yes', tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:1' } },
          { correlation_id: 'no', tuple_key: { user: 'user:zed', relation: 'viewer', object: 'document:1' } },
          { correlation_id: 'bad', tuple_key: { user: 'user:anne', relation: 'nope', object: 'document:1' } },
        ],
      });
      expect(res.result?.yes?.allowed).toBe(true);
      expect(res.result?.no?.allowed).toBe(false);
      expect(res.result?.bad?.error?.input_error).toBe('validation_error');
    });

    it('lists every object a user can reach, and no other', async () => {
      const list = async (user: string, relation: string, extra: object = {}) =>
        (await ctx.engine.listObjects(storeId, { user, relation, type: 'document', ...extra })).objects.sort();
      expect(await list('user:anne', 'viewer')).toEqual(['document:1', 'document:2']);
      expect(await list('user:zed', 'viewer')).toEqual(['document:2']);
      expect(await list('user:carl', 'approver')).toEqual(['document:4']);
      expect(await list('user:bob', 'viewer')).toEqual(['document:2']);
      expect(await list('user:eve', 'editor', { context: { region: 'eu' } })).toEqual(['document:6']);
      await expectCode(list('user:eve', 'editor'), 'validation_error');
      await expectCode(ctx.engine.listObjects(storeId, { user: 'user:anne', relation: 'viewer', type: 'doc' }), 'type_not_found');
      await expectCode(ctx.engine.listObjects(storeId, { user: 'user:anne', relation: 'nope', type: 'document' }), 'relation_not_found');
    });

    it('lists the users and usersets that have a relation', async () => {
      const users = async (object: string, relation: string, filter: { type: string; relation?: string }) => {
        const [type, id] = object.split(':') as [string, string];
        const res = await ctx.engine.listUsers(storeId, { object: { type, id }, relation, user_filters: [filter] });
        return res.users
          .map((u) => (u.object ? `${u.object.type}:${u.object.id}` : u.userset ? `${u.userset.type}:${u.userset.id}#${u.userset.relation}` : `${u.wildcard?.type}:*`))
          .sort();
      };
      expect(await users('document:1', 'viewer', { type: 'user' })).toEqual(['user:anne', 'user:olga']);
      expect(await users('document:1', 'viewer', { type: 'group', relation: 'member' })).toEqual(['group:all#member', 'group:eng#member']);
      expect(await users('document:2', 'viewer', { type: 'user' })).toEqual(['user:*']);
      await expectCode(ctx.engine.listUsers(storeId, { object: { type: 'document', id: '1' }, relation: 'viewer', user_filters: [{ type: 'nope' }] }), 'type_not_found');
    });

    it('expands a relation one level', async () => {
      const res = await ctx.engine.expand(storeId, { tuple_key: { object: 'group:all', relation: 'member' } });
      expect(res.tree?.root?.name).toBe('group:all#member');
      expect(res.tree?.root?.leaf?.users?.users).toEqual(['group:eng#member']);
    });
  });

  describe('consistency and deprovisioning', () => {
    it('sees a write and a delete in the very next check', async () => {
      const { storeId } = await freshStore(ctx.engine);
      expect(await allowed(ctx.engine, storeId, 'user:anne', 'owner', 'document:1')).toBe(false);
      await ctx.engine.write(storeId, { writes: { tuple_keys: [t('document:1', 'owner', 'user:anne')] } });
      expect(await allowed(ctx.engine, storeId, 'user:anne', 'owner', 'document:1')).toBe(true);
      await ctx.engine.write(storeId, { deletes: { tuple_keys: [t('document:1', 'owner', 'user:anne')] } });
      expect(await allowed(ctx.engine, storeId, 'user:anne', 'owner', 'document:1')).toBe(false);
    });

    it('deletes every tuple of one user and nothing else', async () => {
      const { storeId } = await freshStore(ctx.engine, [
        t('group:eng', 'member', 'user:anne'),
        t('document:9', 'owner', 'user:anne'),
        t('document:9', 'blocked', 'user:anne'),
        t('document:9', 'owner', 'user:bob'),
        t('document:8', 'viewer', 'group:eng#member'),
      ]);
      expect(await ctx.engine.deleteTuplesForUser(storeId, 'user:anne')).toBe(3);
      expect(await readAll(ctx.engine, storeId)).toEqual(['document:8#viewer@group:eng#member', 'document:9#owner@user:bob']);
      expect(await allowed(ctx.engine, storeId, 'user:anne', 'viewer', 'document:8')).toBe(false);
      expect(await ctx.engine.deleteTuplesForUser(storeId, 'user:anne')).toBe(0);
    });
  });
}
