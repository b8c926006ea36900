import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.ts';

/**
 * OpenFGA reads bodies as protobuf JSON, where a null field is the field's default at any depth.
 * OpenFGA's Go SDK (so the `fga` CLI) sends `"contextual_tuples":{"tuple_keys":null}` on every
 * query; these bodies must get the answers they get from OpenFGA.
 */
const MODEL = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    {
      type: 'doc',
      relations: { viewer: { this: {} }, editor: { this: {} } },
      metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user' }] }, editor: { directly_related_user_types: [{ type: 'user' }] } } },
    },
  ],
};

describe('null fields in /stores bodies (protobuf JSON)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function setUp(): Promise<{ h: Harness; store: string }> {
    h = new Harness();
    const { authz_store_id: store } = await h.createTenant('Acme');
    expect((await h.json('POST', `/stores/${store}/authorization-models`, { body: MODEL })).status).toBe(201);
    return { h, store };
  }

  it('answers queries whose contextual tuple list, model id and context are null, as OpenFGA does', async () => {
    const { h, store } = await setUp();
    const write = await h.json('POST', `/stores/${store}/write`, {
      body: { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'doc:1', condition: null }], on_duplicate: null }, deletes: null, authorization_model_id: null },
    });
    expect(write).toMatchObject({ status: 200 });
    const nulls = { contextual_tuples: { tuple_keys: null }, authorization_model_id: null, context: null, consistency: null };
    expect(await h.json('POST', `/stores/${store}/check`, { body: { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1' }, ...nulls } })).toMatchObject({
      status: 200,
      body: { allowed: true },
    });
    expect(await h.json('POST', `/stores/${store}/check`, { body: { tuple_key: { user: 'user:bob', relation: 'viewer', object: 'doc:1' }, ...nulls } })).toMatchObject({
      status: 200,
      body: { allowed: false },
    });
    expect(await h.json('POST', `/stores/${store}/list-objects`, { body: { user: 'user:anne', relation: 'viewer', type: 'doc', ...nulls } })).toMatchObject({
      status: 200,
      body: { objects: ['doc:1'] },
    });
    const expand = await h.json('POST', `/stores/${store}/expand`, { body: { tuple_key: { relation: 'viewer', object: 'doc:1' }, ...nulls } });
    expect(expand.status).toBe(200);
    expect(JSON.stringify(expand.body)).toContain('user:anne');
    const batch = await h.json('POST', `/stores/${store}/batch-check`, {
      body: { checks: [{ tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1' }, correlation_id: 'a', contextual_tuples: { tuple_keys: null }, context: null }], authorization_model_id: null },
    });
    expect(batch).toMatchObject({ status: 200, body: { result: { a: { allowed: true } } } });
  });

  it('still uses contextual tuples given next to null fields', async () => {
    const { h, store } = await setUp();
    const res = await h.json('POST', `/stores/${store}/check`, {
      body: { tuple_key: { user: 'user:carl', relation: 'editor', object: 'doc:9' }, contextual_tuples: { tuple_keys: [{ user: 'user:carl', relation: 'editor', object: 'doc:9', condition: null }] }, context: null },
    });
    expect(res).toMatchObject({ status: 200, body: { allowed: true } });
    expect(await h.json('POST', `/stores/${store}/check`, { body: { tuple_key: { user: 'user:carl', relation: 'editor', object: 'doc:9' }, contextual_tuples: {} } })).toMatchObject({
      status: 200,
      body: { allowed: false },
    });
  });

  it('refuses what OpenFGA refuses: a null required field, malformed JSON, a write with nothing to write', async () => {
    const { h, store } = await setUp();
    const nullKey = await h.json('POST', `/stores/${store}/check`, { body: { tuple_key: null } });
    expect(nullKey.status).toBe(400);
    // A null tuple_key is an absent one: OpenFGA v1.18.1 answers it like `{}` (test/authz/openfga-parity.test.ts).
    expect(nullKey.body).toEqual({ code: 'tuple_key_value_not_specified', message: 'invalid CheckRequest.TupleKey: value is required' });
    const malformed = await h.request('POST', `/stores/${store}/check`, { headers: { 'content-type': 'application/json' }, body: '{"tuple_key": {"user": null,' });
    expect(malformed.status).toBe(400);
    const empty = await h.json('POST', `/stores/${store}/write`, { body: { writes: { tuple_keys: null } } });
    expect(empty.status).toBe(400);
    expect((await h.json('POST', `/stores/${store}/read`, { body: {} })).body.tuples).toEqual([]);
  });
});
