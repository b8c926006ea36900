import { describe, expect, it } from 'vitest';
import { dslToModel } from '../model/dsl.ts';
import { CONTRACT_MODEL, expectCode, freshStore, readAll, t, type ContractContext } from './fixture.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Contract cases for models, writes, reads and the changelog. */
export function registerModelAndTupleContract(ctx: ContractContext): void {
  describe('authorization models', () => {
    it('writes a model and reads it back by id and as the latest', async () => {
      const { storeId, modelId } = await freshStore(ctx.engine);
      expect(modelId).toMatch(ULID);
      const byId = await ctx.engine.readAuthorizationModel(storeId, modelId);
      const latest = await ctx.engine.readAuthorizationModel(storeId);
      expect(byId.id).toBe(modelId);
      expect(latest.id).toBe(modelId);
      expect(byId.type_definitions.map((d) => d.type).sort()).toEqual(['document', 'folder', 'group', 'user']);
      expect(Object.keys(byId.conditions ?? {})).toEqual(['in_region']);
    });

    it('lists models newest first, a page at a time', async () => {
      const { storeId, modelId: first } = await freshStore(ctx.engine);
      const { authorization_model_id: second } = await ctx.engine.writeAuthorizationModel(storeId, dslToModel(CONTRACT_MODEL));
      const { authorization_model_id: third } = await ctx.engine.writeAuthorizationModel(storeId, dslToModel(CONTRACT_MODEL));
      const page1 = await ctx.engine.readAuthorizationModels(storeId, { page_size: 2 });
      expect(page1.authorization_models.map((m) => m.id)).toEqual([third, second]);
      expect(page1.continuation_token).toBeTruthy();
      const page2 = await ctx.engine.readAuthorizationModels(storeId, { page_size: 2, continuation_token: page1.continuation_token });
      expect(page2.authorization_models.map((m) => m.id)).toEqual([first]);
      expect((await ctx.engine.readAuthorizationModel(storeId)).id).toBe(third);
    });

    it('rejects a model that references an undefined relation and keeps the previous latest', async () => {
      const { storeId, modelId } = await freshStore(ctx.engine);
      const broken = {
        schema_version: '1.1',
        type_definitions: [{ type: 'user' }, { type: 'doc', relations: { viewer: { computedUserset: { relation: 'editor' } } } }],
      };
      await expectCode(ctx.engine.writeAuthorizationModel(storeId, broken), 'invalid_authorization_model');
      expect((await ctx.engine.readAuthorizationModel(storeId)).id).toBe(modelId);
    });

    it('answers authorization_model_not_found for an unknown model id', async () => {
      const { storeId } = await freshStore(ctx.engine);
      await expectCode(ctx.engine.readAuthorizationModel(storeId, '01HZZZZZZZZZZZZZZZZZZZZZZZ'), 'authorization_model_not_found');
      await expectCode(
        ctx.engine.check(storeId, { tuple_key: { user: 'user:a', relation: 'owner', object: 'document:1' }, authorization_model_id: '01HZZZZZZZZZZZZZZZZZZZZZZZ' }),
        'authorization_model_not_found',
      );
    });

    it('answers latest_authorization_model_not_found for a store without models', async () => {
      const store = await ctx.engine.createStore('contract store');
      await expectCode(ctx.engine.check(store.id, { tuple_key: { user: 'user:a', relation: 'owner', object: 'document:1' } }), 'latest_authorization_model_not_found');
    });
  });

  describe('writes', () => {
    it('applies the writes and deletes of one request together, or none of them', async () => {
      const { storeId } = await freshStore(ctx.engine, [t('document:1', 'owner', 'user:anne')]);
      await expectCode(
        ctx.engine.write(storeId, { writes: { tuple_keys: [t('document:2', 'owner', 'user:anne')] }, deletes: { tuple_keys: [t('document:9', 'owner', 'user:zed')] } }),
        'write_failed_due_to_invalid_input',
      );
      expect(await readAll(ctx.engine, storeId)).toEqual(['document:1#owner@user:anne']);
      await ctx.engine.write(storeId, { writes: { tuple_keys: [t('document:2', 'owner', 'user:anne')] }, deletes: { tuple_keys: [t('document:1', 'owner', 'user:anne')] } });
      expect(await readAll(ctx.engine, storeId)).toEqual(['document:2#owner@user:anne']);
    });

    it('rejects a tuple that does not fit the model and writes nothing from that request', async () => {
      const { storeId } = await freshStore(ctx.engine);
      await expectCode(
        ctx.engine.write(storeId, { writes: { tuple_keys: [t('document:1', 'owner', 'user:anne'), t('document:1', 'nope', 'user:anne')] } }),
        'validation_error',
      );
      await expectCode(ctx.engine.write(storeId, { writes: { tuple_keys: [t('document:1', 'owner', 'group:eng#member')] } }), 'validation_error');
      await expectCode(ctx.engine.write(storeId, { writes: { tuple_keys: [t('document:1', 'editor', 'user:anne', { name: 'nope' })] } }), 'validation_error');
      expect(await readAll(ctx.engine, storeId)).toEqual([]);
    });

    it('rejects an existing tuple or a missing delete unless told to ignore them', async () => {
      const { storeId } = await freshStore(ctx.engine, [t('document:1', 'owner', 'user:anne')]);
      await expectCode(ctx.engine.write(storeId, { writes: { tuple_keys: [t('document:1', 'owner', 'user:anne')] } }), 'write_failed_due_to_invalid_input');
      await ctx.engine.write(storeId, { writes: { tuple_keys: [t('document:1', 'owner', 'user:anne')], on_duplicate: 'ignore' } });
      await ctx.engine.write(storeId, { deletes: { tuple_keys: [t('document:7', 'owner', 'user:anne')], on_missing: 'ignore' } });
      expect(await readAll(ctx.engine, storeId)).toEqual(['document:1#owner@user:anne']);
    });

    it('rejects the same tuple twice in one request and an empty request', async () => {
      const { storeId } = await freshStore(ctx.engine);
      const tuple = t('document:1', 'owner', 'user:anne');
      await expectCode(ctx.engine.write(storeId, { writes: { tuple_keys: [tuple, tuple] } }), 'cannot_allow_duplicate_tuples_in_one_request');
      await expectCode(ctx.engine.write(storeId, { writes: { tuple_keys: [tuple] }, deletes: { tuple_keys: [tuple] } }), 'cannot_allow_duplicate_tuples_in_one_request');
      await expectCode(ctx.engine.write(storeId, {}), 'invalid_write_input');
    });

    it('keeps a condition and its context on the stored tuple', async () => {
      const { storeId } = await freshStore(ctx.engine, [t('document:1', 'editor', 'user:anne', { name: 'in_region', context: { allowed: ['eu'] } })]);
      const { tuples } = await ctx.engine.read(storeId, { tuple_key: { object: 'document:1', relation: 'editor' } });
      expect(tuples.map((x) => x.key.condition)).toEqual([{ name: 'in_region', context: { allowed: ['eu'] } }]);
    });
  });

  describe('reads', () => {
    it('pages through every tuple exactly once', async () => {
      const tuples = Array.from({ length: 7 }, (_, i) => t(`document:${i}`, 'owner', `user:u${i}`));
      const { storeId } = await freshStore(ctx.engine, tuples);
      const first = await ctx.engine.read(storeId, { page_size: 3 });
      expect(first.tuples).toHaveLength(3);
      expect(first.continuation_token).toBeTruthy();
      expect(await readAll(ctx.engine, storeId, 3)).toEqual(tuples.map((x) => `${x.object}#${x.relation}@${x.user}`).sort());
    });

    it('filters by object, by relation, and by object type with a user', async () => {
      const { storeId } = await freshStore(ctx.engine, [
        t('document:1', 'owner', 'user:anne'),
        t('document:1', 'blocked', 'user:bob'),
        t('document:2', 'owner', 'user:bob'),
        t('folder:1', 'owner', 'user:bob'),
      ]);
      const keys = async (tuple_key: { object?: string; relation?: string; user?: string }) =>
        (await ctx.engine.read(storeId, { tuple_key })).tuples.map((x) => `${x.key.object}#${x.key.relation}@${x.key.user}`).sort();
      expect(await keys({ object: 'document:1' })).toEqual(['document:1#blocked@user:bob', 'document:1#owner@user:anne']);
      expect(await keys({ object: 'document:1', relation: 'owner' })).toEqual(['document:1#owner@user:anne']);
      expect(await keys({ object: 'document:', user: 'user:bob' })).toEqual(['document:1#blocked@user:bob', 'document:2#owner@user:bob']);
    });

    it('rejects a continuation token it did not issue and a filter without an object type', async () => {
      const { storeId } = await freshStore(ctx.engine);
      await expectCode(ctx.engine.read(storeId, { continuation_token: 'bm90LWEtdG9rZW4' }), 'invalid_continuation_token');
      await expectCode(ctx.engine.read(storeId, { tuple_key: { object: 'document:' } }), 'validation_error');
    });
  });

  describe('changes', () => {
    it('records writes and deletes in order, per type, resumable from a token', async () => {
      const { storeId } = await freshStore(ctx.engine, [t('document:1', 'owner', 'user:anne')]);
      await ctx.engine.write(storeId, { writes: { tuple_keys: [t('folder:1', 'owner', 'user:anne')] } });
      await ctx.engine.write(storeId, { deletes: { tuple_keys: [t('document:1', 'owner', 'user:anne')] } });
      const all = await ctx.engine.readChanges(storeId, {});
      expect(all.changes.map((c) => `${c.operation} ${c.tuple_key.object}`)).toEqual([
        'TUPLE_OPERATION_WRITE document:1',
        'TUPLE_OPERATION_WRITE folder:1',
        'TUPLE_OPERATION_DELETE document:1',
      ]);
      const docs = await ctx.engine.readChanges(storeId, { type: 'document', page_size: 1 });
      expect(docs.changes.map((c) => c.operation)).toEqual(['TUPLE_OPERATION_WRITE']);
      const rest = await ctx.engine.readChanges(storeId, { type: 'document', continuation_token: docs.continuation_token });
      expect(rest.changes.map((c) => c.operation)).toEqual(['TUPLE_OPERATION_DELETE']);
      await expectCode(ctx.engine.readChanges(storeId, { type: 'folder', continuation_token: docs.continuation_token }), 'query_string_type_continuation_token_mismatch');
    });
  });
}
