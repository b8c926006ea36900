import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { authzHarness, BACKENDS, type BackendName } from './backends.ts';
import { FIXTURE_MODEL } from './routes-table.ts';

const doc = (relations: Record<string, unknown>, metadata?: unknown) => ({ type: 'doc', relations, ...(metadata ? { metadata } : {}) });

/** Bad models and tuples, with the status and OpenFGA code OpenFGA itself answers. */
const CASES: { name: string; path: string; body: unknown; status: number; code: string }[] = [
  {
    name: 'a model whose relation points at an undefined relation',
    path: 'authorization-models',
    body: { schema_version: '1.1', type_definitions: [{ type: 'user' }, doc({ viewer: { computedUserset: { relation: 'nope' } } })] },
    status: 400,
    code: 'invalid_authorization_model',
  },
  {
    name: 'a model without type definitions',
    path: 'authorization-models',
    body: { schema_version: '1.1', type_definitions: [] },
    status: 400,
    code: 'type_definitions_too_few_items',
  },
  {
    name: 'a model with an unsupported schema version',
    path: 'authorization-models',
    body: { schema_version: '1.0', type_definitions: [{ type: 'user' }] },
    status: 400,
    code: 'invalid_authorization_model',
  },
  {
    name: 'a model with a schema version OpenFGA does not know',
    path: 'authorization-models',
    body: { schema_version: '1.x', type_definitions: [{ type: 'user' }] },
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'a tuple with a relation the type lacks',
    path: 'write',
    body: { writes: { tuple_keys: [{ user: 'user:anne', relation: 'editor', object: 'doc:1' }] } },
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'a tuple with a user type the relation does not allow',
    path: 'write',
    body: { writes: { tuple_keys: [{ user: 'doc:2', relation: 'viewer', object: 'doc:1' }] } },
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'a tuple of an unknown object type',
    path: 'write',
    body: { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'folder:1' }] } },
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'a write without writes or deletes',
    path: 'write',
    body: {},
    status: 400,
    code: 'invalid_write_input',
  },
  {
    name: 'a write with the same tuple twice',
    path: 'write',
    body: { writes: { tuple_keys: [{ user: 'user:x', relation: 'viewer', object: 'doc:9' }, { user: 'user:x', relation: 'viewer', object: 'doc:9' }] } },
    status: 400,
    code: 'cannot_allow_duplicate_tuples_in_one_request',
  },
  {
    name: 'writing a tuple that exists',
    path: 'write',
    body: { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'doc:1' }] } },
    status: 400,
    code: 'write_failed_due_to_invalid_input',
  },
  {
    name: 'deleting a tuple that does not exist',
    path: 'write',
    body: { deletes: { tuple_keys: [{ user: 'user:zed', relation: 'viewer', object: 'doc:1' }] } },
    status: 400,
    code: 'write_failed_due_to_invalid_input',
  },
  {
    name: 'a check on an unknown authorization model',
    path: 'check',
    body: { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1' }, authorization_model_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' },
    status: 400,
    code: 'authorization_model_not_found',
  },
];

describe.each(BACKENDS)('malformed models and tuples are refused with OpenFGA codes (%s backend)', (backend: BackendName) => {
  let h: Harness;
  let stop: () => Promise<void>;
  let store: string;
  beforeAll(async () => {
    ({ h, stop } = await authzHarness(backend));
    store = (await h.createTenant('Validation')).authz_store_id;
    await h.json('POST', `/stores/${store}/authorization-models`, { body: FIXTURE_MODEL });
    await h.json('POST', `/stores/${store}/write`, { body: { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'doc:1' }] } } });
  });
  afterAll(() => stop());

  for (const c of CASES) {
    it(`refuses ${c.name} with ${c.status} ${c.code}, changing nothing`, async () => {
      const before = (await h.json('POST', `/stores/${store}/read`, { body: {} })).body.tuples;
      const models = (await h.json('GET', `/stores/${store}/authorization-models`)).body.authorization_models.length;
      const res = await h.json('POST', `/stores/${store}/${c.path}`, { body: c.body });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: c.status, code: c.code });
      expect(res.body.message).toEqual(expect.any(String));
      expect((await h.json('POST', `/stores/${store}/read`, { body: {} })).body.tuples).toEqual(before);
      expect((await h.json('GET', `/stores/${store}/authorization-models`)).body.authorization_models).toHaveLength(models);
    });
  }
});
