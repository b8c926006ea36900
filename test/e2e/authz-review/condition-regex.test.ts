import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { serverProcesses, type ServerProcess } from '../../helpers/server-process.ts';

/**
 * A condition's `matches` must run in linear time, as cel-go's RE2 does. A backtracking RegExp
 * takes 2^n steps on `^(a+)+$` against n 'a's and one '!', and a Check evaluates synchronously
 * on the event loop: one tenant's Check would stop the whole process. The deadline below is not
 * a performance target: a linear engine answers in milliseconds, a backtracking one in hours.
 */
const MODEL = {
  schema_version: '1.1',
  type_definitions: [
    { type: 'user' },
    {
      type: 'doc',
      relations: { viewer: { this: {} } },
      metadata: { relations: { viewer: { directly_related_user_types: [{ type: 'user', condition: 'shaped' }, { type: 'user', condition: 'given' }] } } },
    },
  ],
  conditions: {
    shaped: { name: 'shaped', expression: "code.matches('^(a+)+$')", parameters: { code: { type_name: 'TYPE_NAME_STRING' } } },
    given: { name: 'given', expression: 'matches(code, pattern)', parameters: { code: { type_name: 'TYPE_NAME_STRING' }, pattern: { type_name: 'TYPE_NAME_STRING' } } },
  },
};
const TUPLES = [
  { user: 'user:anne', relation: 'viewer', object: 'doc:1', condition: { name: 'shaped' } },
  { user: 'user:bob', relation: 'viewer', object: 'doc:1', condition: { name: 'given' } },
];
const EVIL = `${'a'.repeat(48)}!`;
const CHECKS = [
  { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1' }, context: { code: EVIL } },
  { tuple_key: { user: 'user:anne', relation: 'viewer', object: 'doc:1' }, context: { code: 'aaaa' } },
  { tuple_key: { user: 'user:bob', relation: 'viewer', object: 'doc:1' }, context: { code: EVIL, pattern: '^(a|a)*$' } },
];
const DEADLINE_MS = 20_000;
const bin = requireOpenFgaBinary();

describe('condition regular expressions (matches) on a real server process', () => {
  const procs = serverProcesses();
  let server: ServerProcess;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.platformKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(DEADLINE_MS),
    });
    return { status: res.status, body: await res.json() };
  };
  const storeWithModel = async (name: string) => {
    const store = (await call('POST', '/stores', { name })).body.id as string;
    expect((await call('POST', `/stores/${store}/authorization-models`, MODEL)).status).toBe(201);
    expect((await call('POST', `/stores/${store}/write`, { writes: { tuple_keys: TUPLES } })).status).toBe(200);
    return store;
  };

  it('answers a Check whose condition would backtrack exponentially, and the process keeps serving other tenants', async () => {
    server = await procs.start(procs.newDir());
    const attacker = await storeWithModel('Attacker');
    const other = await storeWithModel('Bystander');
    const answers = await Promise.all([
      ...CHECKS.map((c) => call('POST', `/stores/${attacker}/check`, c)),
      call('POST', `/stores/${other}/check`, CHECKS[1]),
    ]);
    expect(answers).toEqual([
      { status: 200, body: { allowed: false } },
      { status: 200, body: { allowed: true } },
      { status: 200, body: { allowed: false } },
      { status: 200, body: { allowed: true } },
    ]);
  }, DEADLINE_MS * 2);

  describe.skipIf(!bin)(`the same Checks on the real OpenFGA server (skipped when ${OPENFGA_MISSING_REASON})`, () => {
    let fga: OpenFgaServer;
    beforeAll(async () => {
      fga = await OpenFgaServer.start(bin as string);
    }, 60_000);
    afterAll(async () => fga?.stop());

    it('gives the same answers', async () => {
      const post = async (path: string, body: unknown) =>
        (await fetch(`${fga.url}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(DEADLINE_MS) })).json();
      const store = (await post('/stores', { name: 'regex' })).id as string;
      await post(`/stores/${store}/authorization-models`, MODEL);
      await post(`/stores/${store}/write`, { writes: { tuple_keys: TUPLES } });
      const allowed = [];
      for (const c of CHECKS) allowed.push((await post(`/stores/${store}/check`, c)).allowed);
      expect(allowed).toEqual([false, true, false]);
    });
  });
});
