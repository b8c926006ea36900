import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transformer } from '@openfga/syntax-transformer';
import type { Harness } from '../helpers/harness.ts';
import { OpenFgaServer, OPENFGA_MISSING_REASON, requireOpenFgaBinary } from '../helpers/openfga-server.ts';
import { authzHarness, BACKENDS } from './backends.ts';

/**
 * A model read back prints as OpenFGA prints it: protobuf JSON with unpopulated fields emitted.
 * SDKs turn a missing field into null (OpenFGA's Python SDK gave `generic_types` None where
 * OpenFGA gives `[]`), so "absent" is not the same answer as the default.
 */
const bin = requireOpenFgaBinary();
const PROCUREMENT = transformer.transformDSLToJSONObject(readFileSync(fileURLToPath(new URL('../../policies/examples/procurement.fga', import.meta.url)), 'utf8'));
const WILDCARD_MODEL = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    {
      type: 'doc',
      relations: { viewer: { this: {} }, parent: { this: {} }, inherited: { tupleToUserset: { tupleset: { relation: 'parent' }, computedUserset: { relation: 'viewer' } } } },
      metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user', wildcard: {} }, { type: 'user', condition: 'on_list' }] }, parent: { directly_related_user_types: [{ type: 'doc' }] } } },
    },
  ],
  conditions: {
    on_list: {
      name: 'on_list',
      expression: 'user_id in allowed',
      parameters: { user_id: { type_name: 'TYPE_NAME_STRING' }, allowed: { type_name: 'TYPE_NAME_LIST', generic_types: [{ type_name: 'TYPE_NAME_STRING' }] } },
    },
  },
};

describe.each(BACKENDS)('authorization models on the wire (%s backend)', (backend) => {
  let h: Harness;
  let stop: () => Promise<void>;
  let store: string;
  beforeAll(async () => {
    ({ h, stop } = await authzHarness(backend));
    store = (await h.createTenant('Wire models')).authz_store_id;
  });
  afterAll(() => stop());

  async function writeAndRead(model: unknown): Promise<{ one: any; listed: any }> {
    const written = await h.json('POST', `/stores/${store}/authorization-models`, { body: model });
    expect(written.status).toBe(201);
    const id = written.body.authorization_model_id;
    const one = (await h.json('GET', `/stores/${store}/authorization-models/${id}`)).body.authorization_model;
    const listed = (await h.json('GET', `/stores/${store}/authorization-models?page_size=1`)).body.authorization_models[0];
    return { one, listed };
  }

  it('prints the fields a model leaves unset with their protobuf defaults, in a read and in the list', async () => {
    const { one, listed } = await writeAndRead(WILDCARD_MODEL);
    expect(listed).toEqual(one);
    const [user, doc] = one.type_definitions;
    expect(user).toEqual({ type: 'user', relations: {}, metadata: null });
    expect(doc.metadata).toEqual({
      relations: {
        viewer: {
          directly_related_user_types: [{ type: 'user', wildcard: {}, condition: '' }, { type: 'user', condition: 'on_list' }],
          module: '',
          source_info: null,
        },
        parent: { directly_related_user_types: [{ type: 'doc', condition: '' }], module: '', source_info: null },
      },
      module: '',
      source_info: null,
    });
    expect(doc.relations.inherited).toEqual({ tupleToUserset: { tupleset: { object: '', relation: 'parent' }, computedUserset: { object: '', relation: 'viewer' } } });
    expect(one.conditions.on_list).toEqual({
      name: 'on_list',
      expression: 'user_id in allowed',
      parameters: {
        user_id: { type_name: 'TYPE_NAME_STRING', generic_types: [] },
        allowed: { type_name: 'TYPE_NAME_LIST', generic_types: [{ type_name: 'TYPE_NAME_STRING', generic_types: [] }] },
      },
      metadata: null,
    });
  });

  describe.skipIf(!bin)(`against the real OpenFGA server${bin ? '' : ` (skipped: ${OPENFGA_MISSING_REASON})`}`, () => {
    let reference: OpenFgaServer;
    beforeAll(async () => {
      reference = await OpenFgaServer.start(bin as string);
    });
    afterAll(() => reference?.stop());

    async function theirs(model: unknown): Promise<any> {
      const post = (path: string, body: unknown) =>
        fetch(`${reference.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
      const { id } = await post('/stores', { name: 'reference' });
      const { authorization_model_id } = await post(`/stores/${id}/authorization-models`, model);
      return ((await (await fetch(`${reference.url}/stores/${id}/authorization-models/${authorization_model_id}`)).json()) as any).authorization_model;
    }

    it.each([
      ['the procurement example', PROCUREMENT],
      ['a model with a wildcard, a tuple-to-userset and a generic condition parameter', WILDCARD_MODEL],
    ])('reads %s back exactly as OpenFGA does', async (_name, model) => {
      const { one } = await writeAndRead(model);
      const reference = await theirs(model);
      expect({ ...one, id: undefined }).toEqual({ ...reference, id: undefined });
    });
  });
});
