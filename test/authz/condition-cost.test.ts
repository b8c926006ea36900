import type { AuthorizationModel, Condition } from '@openfga/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { condition } from '../../src/authz/conditions/test-conditions.ts';
import type { AuthzEngine } from '../../src/authz/engine.ts';
import { OpenFgaEngine } from '../../src/authz/openfga/engine.ts';
import { FakeClock } from '../../src/lib/clock.ts';
import { embeddedEngine } from '../helpers/authz.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../helpers/openfga-server.ts';

/**
 * The embedded engine's condition cost limit against a real OpenFGA server (default
 * `--max-condition-evaluation-cost` 100): the same queries must get the same answers — allowed,
 * denied, or the same error — on both, at and around each condition's limit.
 */
const bin = requireOpenFgaBinary();

const ints = (n: number) => Array.from({ length: n }, (_, i) => i);
const strings = (n: number) => Array.from({ length: n }, (_, i) => `e${i}`);

/** Conditions queried with growing lists (`xs: list<int>`, `ys: list<string>`). */
const OUTCOME_CONDITIONS: Condition[] = [
  condition('nested_all', 'xs.all(a, xs.all(b, a <= b))', { xs: 'list<int>' }),
  condition('all_non_negative', 'xs.all(a, a >= 0)', { xs: 'list<int>' }),
  condition('not_member', '!(-1 in xs)', { xs: 'list<int>' }),
  condition('filtered', 'size(ys.filter(y, y != "nope")) >= 0', { ys: 'list<string>' }),
  condition('mapped', 'size(ys.map(y, y + "!")) > 0', { ys: 'list<string>' }),
  condition('exactly_one', 'ys.exists_one(y, y == "zz")', { ys: 'list<string>' }),
  condition('long_equal', 's == t', { s: 'string', t: 'string' }),
];

/** `[condition, context, sizes]`: every size is checked on both engines. */
const SIZES: [string, (n: number) => Record<string, unknown>, number[]][] = [
  ['nested_all', (n) => ({ xs: ints(n) }), [2, 10, 1000]],
  ['all_non_negative', (n) => ({ xs: ints(n) }), [19, 20, 1000]],
  ['not_member', (n) => ({ xs: ints(n) }), [97, 98, 99, 1000]],
  ['filtered', (n) => ({ ys: strings(n) }), [6, 7, 1000]],
  ['mapped', (n) => ({ ys: strings(n) }), [6, 7, 1000]],
  ['exactly_one', (n) => ({ ys: strings(n) }), [48, 49, 1000]],
  ['long_equal', (n) => ({ s: 'x'.repeat(n), t: 'x'.repeat(n) }), [980, 981, 1000, 10_000]],
];

/**
 * Expressions whose exact cost is compared: each runs behind `!(-1 in pad) &&`, which costs
 * `2 + len(pad)`, so the shortest `pad` that fails tells the expression's cost on either engine.
 */
const PROBED: [string, Record<string, string>, Record<string, unknown>][] = [
  ['ys.all(y, y == "a")', { ys: 'list<string>' }, { ys: ['a', 'b', 'a', 'a'] }],
  ['ys.exists(y, y == "zz")', { ys: 'list<string>' }, { ys: ['a', 'b', 'c'] }],
  ['ys.filter(y, y != "b") == ["a", "c"]', { ys: 'list<string>' }, { ys: ['a', 'b', 'c'] }],
  ['size(ys.map(y, y != "b", y)) > 0', { ys: 'list<string>' }, { ys: ['a', 'b', 'c'] }],
  ['s in ["a", "b"] && "b" in ys', { s: 'string', ys: 'list<string>' }, { s: 'b', ys: ['a', 'b'] }],
  ['{"k": s}["k"] == "a" && m.k == "a" && has(m.k)', { s: 'string', m: 'map<string>' }, { s: 'a', m: { k: 'a' } }],
  ['(x > 0 ? m.k : s) == "a"', { x: 'int', m: 'map<string>', s: 'string' }, { x: 1, m: { k: 'a' }, s: 'b' }],
  ['ts < timestamp("2030-01-01T00:00:00Z") && d < duration("1h")', { ts: 'timestamp', d: 'duration' }, { ts: '2023-01-01T00:00:00Z', d: '5m' }],
  ['ip.in_cidr("10.0.0.0/8") && ip == ipaddress("10.1.2.3")', { ip: 'ipaddress' }, { ip: '10.1.2.3' }],
  ['s.startsWith("ab") && s.endsWith("yz") && s.contains("q")', { s: 'string' }, { s: `ab${'q'.repeat(40)}yz` }],
  ['s.matches("^a+$") && matches(s, "a")', { s: 'string' }, { s: 'a'.repeat(30) }],
  ['-(1) < x && --1 < x && !!(x > 0) && !(x > 9)', { x: 'int' }, { x: 1 }],
  ['a < "y" && la.exists(v, v == 2)', { a: 'any', la: 'list<any>' }, { a: 'x'.repeat(50), la: [1, 2] }],
  ['m["missing"] == "a" || ys.exists(y, ys[5] == "zz") || true', { m: 'map<string>', ys: 'list<string>' }, { m: {}, ys: ['a', 'b'] }],
  ['ll.all(l, l.all(v, v > 0)) && size(ll.map(l, [l, l])) > 0', { ll: 'list<list<int>>' }, { ll: [[1, 2], [3]] }],
  ['b && u > 1u && double(x) / 2.0 > 0.1 && string(x) == "1"', { b: 'bool', u: 'uint', x: 'int' }, { b: true, u: 5, x: 1 }],
];

function modelWith(conditions: Condition[]): AuthorizationModel {
  const relation = (c: Condition) => `r_${c.name}`;
  return {
    schema_version: '1.1',
    type_definitions: [
      { type: 'user' },
      {
        type: 'doc',
        relations: Object.fromEntries(conditions.map((c) => [relation(c), { this: {} }])),
        metadata: {
          relations: Object.fromEntries(conditions.map((c) => [relation(c), { directly_related_user_types: [{ type: 'user', condition: c.name }] }])),
        },
      },
    ],
    conditions: Object.fromEntries(conditions.map((c) => [c.name, c])),
  } as AuthorizationModel;
}

/** Allowed/denied, or the error's status, code and message. */
async function outcome(query: () => Promise<{ allowed?: boolean }>): Promise<string> {
  try {
    return `allowed=${(await query()).allowed === true}`;
  } catch (err) {
    const e = err as { status?: number; code?: string; message?: string };
    return `${e.status} ${e.code}: ${e.message}`;
  }
}

describe.skipIf(!bin)(`condition cost limit: embedded engine vs the real OpenFGA server (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  const embedded = embeddedEngine();
  let server: OpenFgaServer;
  const engines: Record<string, AuthzEngine> = { embedded: embedded.engine };
  const stores: Record<string, { outcomes: string; probes: string }> = {};

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    engines.openfga = new OpenFgaEngine({
      connection: { url: server.url },
      clock: new FakeClock(),
      limits: { deadlineMs: 0, listUsersMaxResults: 0 },
      consistencyWindowMs: 0,
    });
    const probes = PROBED.map(([expression, params], i) =>
      condition(`probe_${i}`, `!(-1 in pad) && (${expression})`, { pad: 'list<int>', ...params }));
    for (const [name, engine] of Object.entries(engines)) {
      const ids = { outcomes: '', probes: '' };
      for (const [key, conditions] of [['outcomes', OUTCOME_CONDITIONS], ['probes', probes]] as const) {
        const store = await engine.createStore(`cost ${key}`);
        await engine.writeAuthorizationModel(store.id, modelWith(conditions));
        await engine.write(store.id, {
          writes: { tuple_keys: conditions.map((c) => ({ user: 'user:anne', relation: `r_${c.name}`, object: 'doc:1', condition: { name: c.name } })) },
        });
        ids[key] = store.id;
      }
      stores[name] = ids;
    }
  }, 60_000);

  afterAll(async () => {
    embedded.close();
    await server?.stop();
  });

  const check = (engine: string, relation: string, context: Record<string, unknown>, store: 'outcomes' | 'probes' = 'outcomes') =>
    outcome(() => (engines[engine] as AuthzEngine).check((stores[engine] as Record<string, string>)[store] as string, {
      tuple_key: { user: 'user:anne', relation, object: 'doc:1' },
      context,
    }));

  it.each(SIZES)('answers Checks on %s like OpenFGA at each size', async (name, context, sizes) => {
    const answers = async (engine: string) => {
      const out: Record<number, string> = {};
      for (const n of sizes) out[n] = await check(engine, `r_${name}`, context(n));
      return out;
    };
    const expected = await answers('openfga');
    expect(await answers('embedded')).toEqual(expected);
    expect(expected[sizes[0] as number]).toMatch(/^allowed=/);
    expect(expected[sizes[sizes.length - 1] as number]).toBe(
      `400 validation_error: failed to evaluate relationship condition: '${name}' - failed to evaluate condition expression: operation cancelled: actual cost limit exceeded`,
    );
  });

  it('fails ListObjects and ListUsers over the limit with validation_error on both (OpenFGA\'s ListObjects message is a bare "Internal Server Error")', async () => {
    const results: Record<string, string[]> = {};
    for (const engine of Object.keys(engines)) {
      const e = engines[engine] as AuthzEngine;
      const store = (stores[engine] as Record<string, string>).outcomes as string;
      const context = { xs: ints(1000) };
      results[engine] = [
        await outcome(async () => (await e.listObjects(store, { user: 'user:anne', relation: 'r_nested_all', type: 'doc', context }), {})),
        await outcome(async () => (await e.listUsers(store, { object: { type: 'doc', id: '1' }, relation: 'r_nested_all', user_filters: [{ type: 'user' }], context }), {})),
        await outcome(async () => ({ allowed: (await e.listObjects(store, { user: 'user:anne', relation: 'r_nested_all', type: 'doc', context: { xs: [7] } })).objects.length === 1 })),
      ];
    }
    const statusAndCode = (s: string) => s.split(':')[0];
    expect(results.embedded?.map(statusAndCode)).toEqual(results.openfga?.map(statusAndCode));
    expect(results.embedded?.slice(0, 2).map(statusAndCode)).toEqual(['400 validation_error', '400 validation_error']);
    expect(results.embedded?.[1]).toBe(results.openfga?.[1]);
    expect(results.embedded?.[2]).toBe('allowed=true');
  });

  it('reports an over-limit item of a BatchCheck as OpenFGA does, next to an answered one', async () => {
    const batch = async (engine: string) => (engines[engine] as AuthzEngine).batchCheck((stores[engine] as Record<string, string>).outcomes as string, {
      checks: [
        { tuple_key: { user: 'user:anne', relation: 'r_not_member', object: 'doc:1' }, context: { xs: ints(1000) }, correlation_id: 'big' },
        { tuple_key: { user: 'user:anne', relation: 'r_not_member', object: 'doc:1' }, context: { xs: ints(10) }, correlation_id: 'small' },
      ],
    });
    const expected = await batch('openfga');
    expect(expected.result?.small).toEqual({ allowed: true });
    expect(expected.result?.big?.error?.message).toMatch(/actual cost limit exceeded/);
    expect(await batch('embedded')).toEqual(expected);
  });

  it.each(PROBED.map((p, i) => [p[0], i] as const))('charges %s what OpenFGA charges', async (_expression, i) => {
    const context = (PROBED[i] as (typeof PROBED)[number])[2];
    const cost = async (engine: string) => {
      const exceeds = async (pad: number) => /actual cost limit exceeded/.test(await check(engine, `r_probe_${i}`, { ...context, pad: ints(pad) }, 'probes'));
      if (await exceeds(0)) return 'over 98';
      let [fits, fails] = [0, 100];
      while (fails - fits > 1) {
        const mid = (fits + fails) >> 1;
        if (await exceeds(mid)) fails = mid;
        else fits = mid;
      }
      return 99 - fails;
    };
    const expected = await cost('openfga');
    expect(expected).toBeTypeOf('number');
    expect(await cost('embedded')).toBe(expected);
  });
});
