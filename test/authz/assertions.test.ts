import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { authzHarness, BACKENDS } from './backends.ts';
import { FIXTURE_MODEL } from './routes-table.ts';

describe.each(BACKENDS)('assertions (%s backend)', (backend) => {
  let h: Harness;
  let stop: () => Promise<void>;
  let store: string;
  let tenantId: string;
  let model: string;
  const path = () => `/stores/${store}/assertions/${model}`;

  beforeAll(async () => {
    ({ h, stop } = await authzHarness(backend));
    const t = await h.createTenant('Assertions');
    store = t.authz_store_id;
    tenantId = t.id;
    model = (await h.json('POST', `/stores/${store}/authorization-models`, { body: FIXTURE_MODEL })).body.authorization_model_id;
  });
  afterAll(() => stop());

  it('starts empty, stores what is written (replacing), and audits the write', async () => {
    expect((await h.json('GET', path())).body).toEqual({ authorization_model_id: model, assertions: [] });
    const assertions = [
      { tuple_key: { object: 'doc:1', relation: 'viewer', user: 'user:anne' }, expectation: true, contextual_tuples: [], context: { x: 1 } },
      { tuple_key: { object: 'doc:2', relation: 'viewer', user: 'user:bob' }, expectation: false, contextual_tuples: [], context: null },
    ];
    expect((await h.request('PUT', path(), { body: { assertions } })).status).toBe(204);
    expect((await h.json('GET', path())).body.assertions).toEqual(assertions);
    expect((await h.request('PUT', path(), { body: { assertions: [assertions[1]] } })).status).toBe(204);
    expect((await h.json('GET', path())).body.assertions).toEqual([assertions[1]]);
    const events = (await h.json('GET', `/admin/v1/tenants/${tenantId}/audit?action=authz.assertions.written`)).body.data;
    expect(events).toHaveLength(2);
  });

  it("refuses assertions on an unknown model, type or relation with OpenFGA's codes", async () => {
    const bad = (tuple_key: object) => ({ assertions: [{ tuple_key, expectation: true }] });
    const unknownModel = await h.json('PUT', `/stores/${store}/assertions/01ARZ3NDEKTSV4RRFFQ69G5FAV`, { body: bad({ object: 'doc:1', relation: 'viewer', user: 'user:a' }) });
    expect({ status: unknownModel.status, code: unknownModel.body.code }).toEqual({ status: 400, code: 'authorization_model_not_found' });
    const type = await h.json('PUT', path(), { body: bad({ object: 'zzz:1', relation: 'viewer', user: 'user:a' }) });
    expect(type.body).toEqual({ code: 'validation_error', message: "type 'zzz' not found" });
    const relation = await h.json('PUT', path(), { body: bad({ object: 'doc:1', relation: 'nope', user: 'user:a' }) });
    expect(relation.body).toEqual({ code: 'validation_error', message: "relation 'doc#nope' not found" });
  });
});
