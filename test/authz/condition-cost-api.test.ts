import { afterEach, describe, expect, it } from 'vitest';
import { condition } from '../../src/authz/conditions/test-conditions.ts';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { Harness } from '../helpers/harness.ts';

const ints = (n: number) => Array.from({ length: n }, (_, i) => i);
const EXCEEDED = "failed to evaluate relationship condition: 'not_member' - failed to evaluate condition expression: operation cancelled: actual cost limit exceeded";

/** A tenant store whose `doc:1#viewer@user:anne` holds when `!(-1 in xs)` (cost 2 + len(xs)). */
async function storeWithCondition(h: Harness): Promise<string> {
  const { authz_store_id: store } = await h.createTenant('Acme');
  const model = {
    schema_version: '1.1',
    type_definitions: [
      { type: 'user' },
      {
        type: 'doc',
        relations: { viewer: { this: {} } },
        metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user', condition: 'not_member' }] } } },
      },
    ],
    conditions: { not_member: condition('not_member', '!(-1 in xs)', { xs: 'list<int>' }) },
  };
  expect((await h.json('POST', `/stores/${store}/authorization-models`, { body: model })).status).toBe(201);
  const write = await h.json('POST', `/stores/${store}/write`, {
    body: { writes: { tuple_keys: [{ user: 'user:anne', relation: 'viewer', object: 'doc:1', condition: { name: 'not_member' } }] } },
  });
  expect(write.status).toBe(200);
  return store;
}

const check = (h: Harness, store: string, n: number) =>
  h.json('POST', `/stores/${store}/check`, { body: { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1' }, context: { xs: ints(n) } } });

describe('condition cost limit through the HTTP API', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('answers a Check within OpenFGA\'s default limit of 100 and refuses one past it with 400 validation_error', async () => {
    h = new Harness();
    const store = await storeWithCondition(h);
    expect(await check(h, store, 98)).toMatchObject({ status: 200, body: { allowed: true } });
    expect(await check(h, store, 99)).toMatchObject({ status: 400, body: { code: 'validation_error', message: EXCEEDED } });
    const users = await h.json('POST', `/stores/${store}/list-users`, {
      body: { object: { type: 'doc', id: '1' }, relation: 'viewer', user_filters: [{ type: 'user' }], context: { xs: ints(5000) } },
    });
    expect(users).toMatchObject({ status: 400, body: { code: 'validation_error', message: EXCEEDED } });
  });

  it('applies PORTCULLIS_AUTHZ_MAX_CONDITION_COST', async () => {
    h = new Harness({ authzMaxConditionCost: 1000 });
    const store = await storeWithCondition(h);
    expect(await check(h, store, 998)).toMatchObject({ status: 200, body: { allowed: true } });
    expect(await check(h, store, 999)).toMatchObject({ status: 400, body: { code: 'validation_error', message: EXCEEDED } });
  });

  it('refuses a limit below 100 at boot, naming the variable, as OpenFGA refuses to start', () => {
    expect(loadConfig({ PORTCULLIS_AUTHZ_MAX_CONDITION_COST: '250' }).authzMaxConditionCost).toBe(250);
    expect(() => loadConfig({ PORTCULLIS_AUTHZ_MAX_CONDITION_COST: '99' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORTCULLIS_AUTHZ_MAX_CONDITION_COST: '99' })).toThrow(/PORTCULLIS_AUTHZ_MAX_CONDITION_COST/);
  });
});
