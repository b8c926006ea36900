import { Environment } from '@marcbachmann/cel-js';
import { describe, expect, it } from 'vitest';
import type { CelNode } from './cel-ast.ts';
import { CompiledCondition, ConditionEvaluationError } from './condition.ts';
import { CostMeter } from './cost-meter.ts';
import { condition } from './test-conditions.ts';

type Case = [expression: string, params: Record<string, string>, context: Record<string, unknown>, cost: number];

const costOf = ([expression, params, context]: Case, constantFolding = true): number =>
  CompiledCondition.compile(condition('c1', expression, params), { maxCost: Number.MAX_SAFE_INTEGER, constantFolding })
    .evaluation('doc:1#viewer@user:anne', context, undefined).cost;

const ints = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('condition cost, as cel-go counts it', () => {
  // Expected values of cel-go 0.28's own runtime cost tests (interpreter/runtimecost_test.go),
  // which plan programs without constant folding.
  const celGoReference: Case[] = [
    ["input['key'] == 'v'", { input: 'map<string>' }, { input: { key: 'v' } }, 3],
    ["input['ke' + 'y'] == 'v'", { input: 'map<string>' }, { input: { key: 'v' } }, 4],
    ["input[3-3] == 'v'", { input: 'list<string>' }, { input: ['v'] }, 4],
    ['has(input.testAttr.nestedAttr)', { input: 'map<any>' }, { input: { testAttr: { nestedAttr: 1 } } }, 3],
    ['[1, 2, 3].all(x, true)', {}, {}, 20],
    ["'123'.matches('[0-9]')", {}, {}, 2],
    ['a || b || c || d', { a: 'bool', b: 'bool', c: 'bool', d: 'bool' }, { a: false, b: false, c: false, d: false }, 4],
    ['2 in [1, 2, 3]', {}, {}, 13],
    ["'12345678901234567890' == '123456789012345678901234567890'", {}, {}, 2],
    ['input.contains(arg1)', { input: 'string', arg1: 'string' }, { input: 'x'.repeat(500), arg1: 'y'.repeat(500) }, 2502],
    ["input.matches('\\\\d+a\\\\d+b')", { input: 'string' }, { input: 'x'.repeat(500) }, 103],
    ['input.startsWith(arg1)', { input: 'string', arg1: 'string' }, { input: 'idc', arg1: 'y'.repeat(500) }, 3],
    ['(x > 2 ? input1 : input2).all(y, true)', { x: 'int', input1: 'list<int>', input2: 'list<int>' }, { x: 1, input1: [1], input2: [1] }, 6],
    ['false ? false : 1 > 3', {}, {}, 1],
    ['input.all(k, input[k].single_int32 > 3)', { input: 'map<any>' }, { input: { val: { single_int32: 4 } } }, 9],
    ['"abcdefg".contains(str1 + str2)', { str1: 'string', str2: 'string' }, { str1: 'val1', str2: 'val2222222' }, 6],
    ["[{'k1': 1}, {'k2': 2}].all(x, true)", {}, {}, 77],
    ['[1,2,3,4,5].map(x, x).exists(x, x == 5) == true', {}, {}, 118],
    ['[1,2,3,4,5].map(x, [x, x]).all(y, y.all(y, y == 1))', {}, {}, 171],
    ['[1,2,3].all(i, i in [1,2,3].map(j, j + j))', {}, {}, 86],
  ];

  it.each(celGoReference)('prices %s as cel-go does without constant folding', (...c) => {
    expect(costOf(c, false)).toBe(c[3]);
  });

  // Measured on OpenFGA v1.18.1 (test/authz/condition-cost.test.ts probes the server the same way).
  const openFga: Case[] = [
    ['s == t', { s: 'string', t: 'string' }, { s: 'x'.repeat(95), t: 'x'.repeat(95) }, 12],
    ['s == t', { s: 'string', t: 'string' }, { s: '😀'.repeat(11), t: '😀'.repeat(11) }, 4],
    ['"a" in ys', { ys: 'list<string>' }, { ys: ['a', 'b', 'c'] }, 4],
    ['s in ["a", "b"]', { s: 'string' }, { s: 'b' }, 1],
    ['x in []', { x: 'int' }, { x: 1 }, 0],
    ['ys.exists(y, y == "zz")', { ys: 'list<string>' }, { ys: ['a', 'b', 'c'] }, 20],
    ['ys.all(y, y == "a")', { ys: 'list<string>' }, { ys: ['a', 'b', 'a', 'a'] }, 14],
    ['ys.exists_one(y, y == "b")', { ys: 'list<string>' }, { ys: ['a', 'b', 'c'] }, 11],
    ['size(ys.map(y, y + "!")) > 0', { ys: 'list<string>' }, { ys: ['a', 'b', 'c'] }, 46],
    ['size(ys.map(y, 1)) > 0', { ys: 'list<string>' }, { ys: ['a', 'b', 'c'] }, 10],
    ['ys.filter(y, y != "b") == ["a", "c"]', { ys: 'list<string>' }, { ys: ['a', 'b', 'c'] }, 35],
    ['{"k": s}["k"] == "a"', { s: 'string' }, { s: 'a' }, 34],
    ['(x > 0 ? m.k : t) == "a"', { x: 'int', m: 'map<string>', t: 'string' }, { x: 1, m: { k: 'a' }, t: 'b' }, 4],
    ['ts < timestamp("2030-01-01T00:00:00Z")', { ts: 'timestamp' }, { ts: '2023-01-01T00:00:00Z' }, 2],
    ['-(1) < x && --1 < x && x > -1', { x: 'int' }, { x: 2 }, 7],
    ['!!(x > 0) && !(x > 9)', { x: 'int' }, { x: 1 }, 5],
    ['a < "y" && la.exists(v, v == 2)', { a: 'any', la: 'list<any>' }, { a: 'x'.repeat(50), la: [1, 2] }, 16],
    ['m["missing"] == "a" || true', { m: 'map<string>' }, { m: { k: 'a' } }, 3],
    ['ys.exists(y, ys[5] == "zz") || true', { ys: 'list<string>' }, { ys: ['a', 'b'] }, 16],
    ['matches(s, "^a+$") && s.matches("^a+$")', { s: 'string' }, { s: 'a'.repeat(30) }, 7],
  ];

  it.each(openFga)('prices %s as OpenFGA does (with constant folding)', (...c) => {
    expect(costOf(c)).toBe(c[3]);
  });
});

describe('condition cost limit', () => {
  const allNonNegative = CompiledCondition.compile(condition('non_negative', 'xs.all(a, a >= 0)', { xs: 'list<int>' }));
  const member = CompiledCondition.compile(condition('member', '-1 in xs', { xs: 'list<int>' }));

  it('lets cheap evaluations through and reports their cost', () => {
    expect(allNonNegative.evaluation('t', { xs: ints(3) }, undefined)).toEqual({ met: true, cost: 17 });
    expect(member.evaluation('t', { xs: ints(10) }, undefined)).toEqual({ met: false, cost: 11 });
  });

  it('allows an evaluation that costs exactly the limit and refuses one that costs one more', () => {
    expect(member.evaluation('t', { xs: ints(99) }, undefined).cost).toBe(100);
    expect(() => member.evaluate('t', { xs: ints(100) }, undefined)).toThrow(ConditionEvaluationError);
  });

  it('refuses a comprehension one element past the limit with cel-go\'s cancellation message', () => {
    expect(allNonNegative.evaluation('t', { xs: ints(19) }, undefined).cost).toBe(97);
    expect(() => allNonNegative.evaluate('t', { xs: ints(20) }, undefined)).toThrow(
      "failed to evaluate relationship condition: 'non_negative' - failed to evaluate condition expression: operation cancelled: actual cost limit exceeded",
    );
  });

  it('applies a configured limit', () => {
    const generous = CompiledCondition.compile(condition('member', '-1 in xs', { xs: 'list<int>' }), { maxCost: 1000 });
    expect(generous.evaluate('t', { xs: ints(999) }, undefined)).toBe(false);
    expect(() => generous.evaluate('t', { xs: ints(1000) }, undefined)).toThrow(/actual cost limit exceeded/);
  });

  it('refuses a cost error even where || would have absorbed an ordinary error', () => {
    const c = CompiledCondition.compile(condition('absorbing', 'xs.all(a, xs.all(b, a <= b)) || true', { xs: 'list<int>' }));
    expect(() => c.evaluate('t', { xs: ints(50) }, undefined)).toThrow(/actual cost limit exceeded/);
  });

  it('stops a quadratic expression over 100,000 elements after a bounded number of steps', () => {
    const env = new Environment({ homogeneousAggregateLiterals: false }).registerVariable('xs', 'list<int>');
    const program = env.parse('xs.all(a, xs.all(b, a <= b))') as ReturnType<Environment['parse']> & { check(): unknown };
    program.check();
    const meter = CostMeter.install(program.ast, { constantFolding: true });
    const comparison = findNode(program.ast as unknown as CelNode, '<=');
    let comparisons = 0;
    const metered = comparison.evaluate;
    comparison.evaluate = (ev, ast, ctx) => (comparisons++, metered(ev, ast, ctx));
    const xs = ints(100_000).map(BigInt);

    const run = meter.measure(100, () => program({ xs }));

    expect(run.exceeded).toBe(true);
    expect(run.cost).toBeLessThan(110);
    expect(comparisons).toBeLessThan(40);
  });
});

function findNode(node: CelNode, op: string): CelNode {
  if (node.op === op) return node;
  const next = node.meta.alternate ? [node.meta.alternate] : [];
  const args = node.op === 'comprehension' ? [(node.args as { step: CelNode }).step] : Array.isArray(node.args) ? node.args.flat() : [node.args];
  for (const child of [...next, ...args]) {
    if (child && typeof child === 'object' && 'op' in child) {
      try {
        return findNode(child as CelNode, op);
      } catch {
        // not in this branch
      }
    }
  }
  throw new Error(`no ${op} node`);
}
