import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { authzHarness, BACKENDS } from './backends.ts';
import { FIXTURE_MODEL } from './routes-table.ts';

/** Leniencies OpenFGA's JSON decoding has, which SDKs and hand-written clients rely on. */
describe.each(BACKENDS)('OpenFGA wire leniency (%s backend)', (backend) => {
  let h: Harness;
  let stop: () => Promise<void>;
  let store: string;
  beforeAll(async () => {
    ({ h, stop } = await authzHarness(backend));
    store = (await h.createTenant('Wire')).authz_store_id;
    await h.json('POST', `/stores/${store}/authorization-models`, { body: FIXTURE_MODEL });
  });
  afterAll(() => stop());

  it('treats null fields as absent', async () => {
    const write = await h.json('POST', `/stores/${store}/write`, {
      body: { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'doc:1', condition: null }], on_duplicate: null }, deletes: null, authorization_model_id: null },
    });
    expect(write.status).toBe(200);
    const check = await h.json('POST', `/stores/${store}/check`, {
      body: {
        tuple_key: { user: 'user:bob', relation: 'viewer', object: 'doc:1' },
        context: null,
        authorization_model_id: null,
        contextual_tuples: { tuple_keys: [{ user: 'user:bob', relation: 'viewer', object: 'doc:1', condition: null }] },
      },
    });
    expect(check.body).toMatchObject({ allowed: true });
  });

  it('ignores unknown fields', async () => {
    const res = await h.json('POST', `/stores/${store}/check`, {
      body: { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1', extra: 1 }, bogus: true, trace: true },
    });
    expect(res.status).toBe(200);
    expect(res.body.allowed).toBe(true);
  });

  it('accepts integers sent as strings, as protobuf JSON does', async () => {
    const res = await h.json('POST', `/stores/${store}/read`, { body: { page_size: '1' } });
    expect(res.status).toBe(200);
    expect(res.body.tuples).toHaveLength(1);
  });
});
