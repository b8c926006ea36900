import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/apikeys/scopes.ts';
import type { Harness } from '../helpers/harness.ts';
import { authzHarness, BACKENDS, type BackendName } from './backends.ts';
import { STORE_ROUTES } from './routes-table.ts';

/**
 * An adversarial audit of the /stores API: what crosses stores (continuation tokens, model ids),
 * OpenFGA's request limits, recursion at Check time, media types, and the request fields OpenFGA
 * validates before answering. Every refusal must be a 4xx with OpenFGA's code and change nothing.
 */
const ALL_AUTHZ = SCOPES.filter((s) => s.startsWith('authz:'));
const users = (types: string[]) => types.map((type) => ({ type }));
const AUDIT_MODEL = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    { type: 'group', relations: { member: { this: {} } }, metadata: { relations: { member: { directly_related_user_types: [{ type: 'user' }, { type: 'group', relation: 'member' }] } } } },
    {
      type: 'doc',
      relations: {
        viewer: { this: {} },
        parent: { this: {} },
        can_view: { union: { child: [{ computedUserset: { relation: 'viewer' } }, { tupleToUserset: { tupleset: { relation: 'parent' }, computedUserset: { relation: 'can_view' } } }] } },
      },
      metadata: { relations: { viewer: { directly_related_user_types: users(['user']) }, parent: { directly_related_user_types: users(['doc']) } } },
    },
  ],
};
const tk = (user: string, relation: string, object: string) => ({ user, relation, object });
const seed = (prefix: string) => ({ writes: { tuple_keys: [0, 1, 2, 3, 4].map((i) => tk(`user:${prefix}${i}`, 'viewer', `doc:${i}`)) } });

describe.each(BACKENDS)('the /stores API under adversarial input (%s backend)', (backend: BackendName) => {
  let h: Harness;
  let stop: () => Promise<void>;
  let storeA: string;
  let storeB: string;
  let modelA: string;
  let modelB: string;
  let keyA: string;
  let keyB: string;

  /** Everything a refused request could have changed in a store. */
  const snapshot = async (store: string) => ({
    tuples: (await h.json('POST', `/stores/${store}/read`, { body: { page_size: 100 } })).body.tuples,
    changes: (await h.json('GET', `/stores/${store}/changes?page_size=100`)).body.changes.length,
    models: (await h.json('GET', `/stores/${store}/authorization-models`)).body.authorization_models.length,
  });
  const refused = (res: { status: number; body: { code: string } }) => ({ status: res.status, code: res.body?.code });

  beforeAll(async () => {
    ({ h, stop } = await authzHarness(backend));
    const a = await h.createTenant('Audit A');
    const b = await h.createTenant('Audit B');
    storeA = a.authz_store_id;
    storeB = b.authz_store_id;
    modelA = (await h.json('POST', `/stores/${storeA}/authorization-models`, { body: AUDIT_MODEL })).body.authorization_model_id;
    modelB = (await h.json('POST', `/stores/${storeB}/authorization-models`, { body: AUDIT_MODEL })).body.authorization_model_id;
    expect((await h.json('POST', `/stores/${storeA}/write`, { body: seed('a') })).status).toBe(200);
    expect((await h.json('POST', `/stores/${storeB}/write`, { body: seed('b') })).status).toBe(200);
    keyA = (await h.tenantKey(a.id, ALL_AUTHZ)).key;
    keyB = (await h.tenantKey(b.id, ALL_AUTHZ)).key;
  });
  afterAll(() => stop());

  describe('isolation between stores', () => {
    it("refuses a continuation token on another store or for another kind of page: tokens are sealed and bound", async () => {
      const first = await h.json('POST', `/stores/${storeA}/read`, { key: keyA, body: { page_size: 2 } });
      const token = first.body.continuation_token;
      expect(token).toEqual(expect.any(String));
      expect(token).not.toBe('');
      const own = await h.json('POST', `/stores/${storeA}/read`, { key: keyA, body: { page_size: 100, continuation_token: token } });
      expect(own.status).toBe(200);
      const replayed = await h.json('POST', `/stores/${storeB}/read`, { key: keyB, body: { page_size: 100, continuation_token: token } });
      expect([replayed.status, replayed.body.code]).toEqual([400, 'invalid_continuation_token']);
      // Nor is a Read token a ReadChanges or model-list position (the OpenFGA server answered 500).
      for (const path of [`/stores/${storeA}/changes?continuation_token=${token}`, `/stores/${storeA}/authorization-models?continuation_token=${token}`]) {
        const crossed = await h.json('GET', path, { key: keyA });
        expect([path, crossed.status, crossed.body.code]).toEqual([path, 400, 'invalid_continuation_token']);
      }
      const byA = await h.json('POST', `/stores/${storeB}/read`, { key: keyA, body: { continuation_token: token } });
      expect(byA.body).toEqual({ code: 'store_id_not_found', message: 'Store ID not found' });
    });

    const withModel = (model: () => string): [string, string, string, () => unknown][] => [
      ['check', 'POST', 'check', () => ({ tuple_key: tk('user:a1', 'viewer', 'doc:1'), authorization_model_id: model() })],
      ['batch-check', 'POST', 'batch-check', () => ({ checks: [{ tuple_key: tk('user:a1', 'viewer', 'doc:1'), correlation_id: 'c' }], authorization_model_id: model() })],
      ['a Write of tuples', 'POST', 'write', () => ({ writes: { tuple_keys: [tk('user:new', 'viewer', 'doc:1')] }, authorization_model_id: model() })],
      ['a Write of deletes only', 'POST', 'write', () => ({ deletes: { tuple_keys: [tk('user:a0', 'viewer', 'doc:0')] }, authorization_model_id: model() })],
      ['list-objects', 'POST', 'list-objects', () => ({ type: 'doc', relation: 'viewer', user: 'user:a1', authorization_model_id: model() })],
      ['list-users', 'POST', 'list-users', () => ({ object: { type: 'doc', id: '1' }, relation: 'viewer', user_filters: [{ type: 'user' }], authorization_model_id: model() })],
      ['expand', 'POST', 'expand', () => ({ tuple_key: { relation: 'viewer', object: 'doc:1' }, authorization_model_id: model() })],
    ];

    for (const [name, method, path, body] of withModel(() => modelB)) {
      it(`refuses ${name} in A's store naming B's authorization model (400 authorization_model_not_found), changing nothing`, async () => {
        const before = await snapshot(storeA);
        const res = await h.json(method, `/stores/${storeA}/${path}`, { key: keyA, body: body() });
        expect(refused(res)).toEqual({ status: 400, code: 'authorization_model_not_found' });
        expect(await snapshot(storeA)).toEqual(before);
      });
    }

    it("refuses to read B's model, or A's assertions under B's model id, through A's store", async () => {
      const before = await snapshot(storeA);
      expect(refused(await h.json('GET', `/stores/${storeA}/authorization-models/${modelB}`, { key: keyA }))).toEqual({ status: 400, code: 'authorization_model_not_found' });
      expect(refused(await h.json('GET', `/stores/${storeA}/assertions/${modelB}`, { key: keyA }))).toEqual({ status: 400, code: 'authorization_model_not_found' });
      const put = await h.json('PUT', `/stores/${storeA}/assertions/${modelB}`, { key: keyA, body: { assertions: [{ tuple_key: tk('user:a1', 'viewer', 'doc:1'), expectation: true }] } });
      expect(refused(put)).toEqual({ status: 400, code: 'authorization_model_not_found' });
      expect((await h.json('GET', `/stores/${storeB}/assertions/${modelB}`, { key: keyB })).body.assertions).toEqual([]);
      expect(await snapshot(storeA)).toEqual(before);
    });

    it('refuses a delete-only Write naming a malformed model id (400 validation_error), deleting nothing', async () => {
      const before = await snapshot(storeA);
      const res = await h.json('POST', `/stores/${storeA}/write`, { key: keyA, body: { deletes: { tuple_keys: [tk('user:a0', 'viewer', 'doc:0')] }, authorization_model_id: 'not-a-model' } });
      expect(refused(res)).toEqual({ status: 400, code: 'validation_error' });
      expect(await snapshot(storeA)).toEqual(before);
      expect(modelA).not.toBe(modelB);
    });
  });

  describe("OpenFGA's request limits", () => {
    const many = (n: number, prefix = 'x') => Array.from({ length: n }, (_, i) => tk(`user:${prefix}${i}`, 'viewer', `doc:w${i}`));

    it('refuses a Write of more than 100 tuple changes, writes and deletes together (exceeded_entity_limit), writing none', async () => {
      const before = await snapshot(storeA);
      for (const body of [{ writes: { tuple_keys: many(101) } }, { writes: { tuple_keys: many(60), on_duplicate: 'ignore' }, deletes: { tuple_keys: many(101).slice(60), on_missing: 'ignore' } }]) {
        expect(refused(await h.json('POST', `/stores/${storeA}/write`, { key: keyA, body }))).toEqual({ status: 400, code: 'exceeded_entity_limit' });
      }
      expect(await snapshot(storeA)).toEqual(before);
      expect((await h.json('POST', `/stores/${storeA}/write`, { key: keyA, body: { writes: { tuple_keys: many(100, 'ok') } } })).status).toBe(200);
      expect((await h.json('POST', `/stores/${storeA}/write`, { key: keyA, body: { deletes: { tuple_keys: many(100, 'ok') } } })).status).toBe(200);
      expect(await snapshot(storeA)).toMatchObject({ tuples: before.tuples });
    });

    it('refuses more than 100 contextual tuples on check, list-objects, list-users and expand (validation_error)', async () => {
      const ctx = { tuple_keys: many(101) };
      const bodies: [string, unknown][] = [
        ['check', { tuple_key: tk('user:x1', 'viewer', 'doc:w1'), contextual_tuples: ctx }],
        ['list-objects', { type: 'doc', relation: 'viewer', user: 'user:x1', contextual_tuples: ctx }],
        ['list-users', { object: { type: 'doc', id: 'w1' }, relation: 'viewer', user_filters: [{ type: 'user' }], contextual_tuples: many(101) }],
        ['expand', { tuple_key: { relation: 'viewer', object: 'doc:w1' }, contextual_tuples: ctx }],
      ];
      for (const [path, body] of bodies) {
        const res = await h.json('POST', `/stores/${storeA}/${path}`, { key: keyA, body });
        expect({ path, ...refused(res) }).toEqual({ path, status: 400, code: 'validation_error' });
        expect(res.body.message).toMatch(/no more than 100 item/);
      }
      const hundred = await h.json('POST', `/stores/${storeA}/check`, { key: keyA, body: { tuple_key: tk('user:x1', 'viewer', 'doc:w1'), contextual_tuples: { tuple_keys: many(100) } } });
      expect(hundred.body).toMatchObject({ allowed: true });
    });

    it('refuses a BatchCheck of more than 50 checks, and of none (validation_error)', async () => {
      const checks = (n: number) => Array.from({ length: n }, (_, i) => ({ tuple_key: tk(`user:a${i}`, 'viewer', 'doc:1'), correlation_id: `c${i}` }));
      expect(refused(await h.json('POST', `/stores/${storeA}/batch-check`, { key: keyA, body: { checks: checks(51) } }))).toEqual({ status: 400, code: 'validation_error' });
      expect(refused(await h.json('POST', `/stores/${storeA}/batch-check`, { key: keyA, body: { checks: [] } }))).toEqual({ status: 400, code: 'validation_error' });
      const fifty = await h.json('POST', `/stores/${storeA}/batch-check`, { key: keyA, body: { checks: checks(50) } });
      expect(Object.keys(fifty.body.result)).toHaveLength(50);
      expect(fifty.body.result.c1).toEqual({ allowed: true });
    });

    it('refuses page sizes outside 1–100, and ones no int32 holds, on every paged endpoint', async () => {
      const paged = [
        (size: unknown) => h.json('POST', `/stores/${storeA}/read`, { key: keyA, body: { page_size: size } }),
        (size: unknown) => h.json('GET', `/stores/${storeA}/changes?page_size=${size}`, { key: keyA }),
        (size: unknown) => h.json('GET', `/stores/${storeA}/authorization-models?page_size=${size}`, { key: keyA }),
      ];
      for (const call of paged) {
        expect(refused(await call(101))).toEqual({ status: 400, code: 'page_size_invalid' });
        // OpenFGA itself says validation_error for a negative ReadChanges page size.
        expect(refused(await call(-1))).toEqual({ status: 400, code: expect.stringMatching(/^(page_size_invalid|validation_error)$/) });
        expect(refused(await call('99999999999'))).toEqual({ status: 400, code: 'validation_error' });
        expect(refused(await call('abc'))).toEqual({ status: 400, code: 'validation_error' });
      }
    });
  });

  describe('recursion at Check time', () => {
    beforeAll(async () => {
      const chain = Array.from({ length: 40 }, (_, i) => tk(`doc:c${i + 1}`, 'parent', `doc:c${i}`));
      expect((await h.json('POST', `/stores/${storeA}/write`, { body: { writes: { tuple_keys: [...chain, tk('user:deep', 'viewer', 'doc:c40')] } } })).status).toBe(200);
      const cycle = [tk('doc:y1', 'parent', 'doc:y0'), tk('doc:y0', 'parent', 'doc:y1')];
      const groups = Array.from({ length: 60 }, (_, i) => tk(`group:g${i + 1}#member`, 'member', `group:g${i}`));
      const closing = [tk('group:g0#member', 'member', 'group:g60'), tk('user:member', 'member', 'group:g60')];
      expect((await h.json('POST', `/stores/${storeA}/write`, { body: { writes: { tuple_keys: [...cycle, ...groups.slice(0, 40)] } } })).status).toBe(200);
      expect((await h.json('POST', `/stores/${storeA}/write`, { body: { writes: { tuple_keys: [...groups.slice(40), ...closing] } } })).status).toBe(200);
    });
    const check = (user: string, relation: string, object: string) => h.json('POST', `/stores/${storeA}/check`, { key: keyA, body: { tuple_key: tk(user, relation, object) } });

    it('answers a tuple-to-userset chain deeper than 25 with 400 authorization_model_resolution_too_complex, a shallower one normally', async () => {
      expect(refused(await check('user:deep', 'can_view', 'doc:c0'))).toEqual({ status: 400, code: 'authorization_model_resolution_too_complex' });
      expect((await check('user:deep', 'can_view', 'doc:c20')).body).toMatchObject({ allowed: true });
    });

    it('answers a cycle of parents as not allowed', async () => {
      const res = await check('user:nobody', 'can_view', 'doc:y0');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ allowed: false });
    });

    it('answers a 60-deep cyclic group nesting without a 5xx: not allowed for an outsider, and for a member allowed or too complex', async () => {
      expect((await check('user:outsider', 'member', 'group:g0')).body).toMatchObject({ allowed: false });
      const member = await check('user:member', 'member', 'group:g0');
      if (member.status === 200) expect(member.body).toMatchObject({ allowed: true });
      else expect(refused(member)).toEqual({ status: 400, code: 'authorization_model_resolution_too_complex' });
      expect((await check('user:member', 'member', 'group:g50')).body).toMatchObject({ allowed: true });
    });
  });

  describe('media types and field formats', () => {
    for (const route of STORE_ROUTES.filter((r) => r.body !== undefined)) {
      it(`refuses ${route.name} sent as text/plain with 415, changing nothing`, async () => {
        const before = await snapshot(storeA);
        const res = await h.json(route.method, route.path(storeA, modelA), { key: keyA, rawBody: JSON.stringify(route.body), headers: { 'content-type': 'text/plain' } });
        expect(refused(res)).toEqual({ status: 415, code: 'validation_error' });
        expect(await snapshot(storeA)).toEqual(before);
      });
    }
  });

  describe("the Read filter's field formats", () => {
    const filters: [string, object][] = [
      ['a relation with #', tk('user:a1', 'viewer#x', 'doc:1')],
      ["the bare wildcard '*' as user", tk('*', 'viewer', 'doc:1')],
      ["a user type without id ('user:')", { user: 'user:', object: 'doc:1' }],
      ['a user without a type', tk('anne', 'viewer', 'doc:1')],
      ['a user with a space', tk('user:a 1', 'viewer', 'doc:1')],
      ['a user over 512 bytes', tk(`user:${'u'.repeat(600)}`, 'viewer', 'doc:1')],
      ['a one-character object', { object: 'd' }],
      ['a relation over 50 characters', tk('user:a1', 'r'.repeat(51), 'doc:1')],
    ];
    for (const [name, tuple_key] of filters) {
      it(`refuses a Read filter with ${name} (400 validation_error)`, async () => {
        const res = await h.json('POST', `/stores/${storeA}/read`, { key: keyA, body: { tuple_key } });
        expect(refused(res)).toEqual({ status: 400, code: 'validation_error' });
        expect(res.body.message).toMatch(/^invalid ReadRequestTupleKey\.(User|Relation|Object): /);
      });
    }

    it('still reads with a type-only object and a full user', async () => {
      const res = await h.json('POST', `/stores/${storeA}/read`, { key: keyA, body: { tuple_key: { user: 'user:a1', object: 'doc:' } } });
      expect(res.body.tuples).toHaveLength(1);
      expect(res.body.tuples[0].key).toMatchObject(tk('user:a1', 'viewer', 'doc:1'));
    });
  });

  describe('assertions OpenFGA would refuse', () => {
    const put = (assertions: unknown[]) => h.json('PUT', `/stores/${storeA}/assertions/${modelA}`, { key: keyA, body: { assertions } });
    const stored = async () => (await h.json('GET', `/stores/${storeA}/assertions/${modelA}`, { key: keyA })).body.assertions;
    const good = { tuple_key: tk('user:a1', 'viewer', 'doc:1'), expectation: true };

    it('refuses an assertion whose object has no id, or whose user has no type (validation_error), keeping what was stored', async () => {
      expect((await h.request('PUT', `/stores/${storeA}/assertions/${modelA}`, { key: keyA, body: { assertions: [good] } })).status).toBe(204);
      for (const bad of [tk('user:a1', 'viewer', 'doc'), tk('anne', 'viewer', 'doc:1'), tk('user:a1', 'viewer', 'doc:*')]) {
        expect(refused(await put([good, { tuple_key: bad, expectation: false }]))).toEqual({ status: 400, code: 'validation_error' });
      }
      expect(await stored()).toEqual([expect.objectContaining(good)]);
    });

    it('refuses more than 20 contextual tuples in one assertion, and a contextual tuple the model does not allow', async () => {
      const ctx = (n: number) => Array.from({ length: n }, (_, i) => tk(`user:c${i}`, 'viewer', 'doc:1'));
      expect(refused(await put([{ ...good, contextual_tuples: ctx(21) }]))).toEqual({ status: 400, code: 'validation_error' });
      expect(refused(await put([{ ...good, contextual_tuples: [tk('group:g#member', 'viewer', 'doc:1')] }]))).toEqual({ status: 400, code: 'validation_error' });
      expect(await stored()).toEqual([expect.objectContaining(good)]);
      expect((await h.request('PUT', `/stores/${storeA}/assertions/${modelA}`, { key: keyA, body: { assertions: [{ ...good, contextual_tuples: ctx(20) }] } })).status).toBe(204);
    });
  });
});
