import { describe, expect, it } from 'vitest';
import { CompiledCondition, ConditionCompilationError, ConditionEvaluationError } from './condition.ts';
import type { Condition, TypeName } from '@openfga/sdk';

const cond = (expression: string, params: Record<string, string | [string, string]>): Condition => ({
  name: 'c',
  expression,
  parameters: Object.fromEntries(
    Object.entries(params).map(([k, t]) =>
      Array.isArray(t)
        ? [k, { type_name: `TYPE_NAME_${t[0].toUpperCase()}` as TypeName, generic_types: [{ type_name: `TYPE_NAME_${t[1].toUpperCase()}` as TypeName }] }]
        : [k, { type_name: `TYPE_NAME_${t.toUpperCase()}` as TypeName }],
    ),
  ),
});

const evaluate = (c: Condition, request?: Record<string, unknown>, tuple?: Record<string, unknown>) =>
  CompiledCondition.compile(c).evaluate('document:1#viewer@user:anne', request, tuple);

describe('conditions', () => {
  it('evaluates an int parameter given as a JSON number or as a numeric string', () => {
    const c = cond('x < 100', { x: 'int' });
    expect(evaluate(c, { x: 10 })).toBe(true);
    expect(evaluate(c, { x: '101' })).toBe(false);
  });

  it('rejects a fractional value for an int parameter and a negative one for uint', () => {
    expect(() => evaluate(cond('x < 100', { x: 'int' }), { x: 1.5 })).toThrow(ConditionEvaluationError);
    expect(() => evaluate(cond('x < 100u', { x: 'uint' }), { x: -1 })).toThrow(/uint/);
    expect(evaluate(cond('x < 100u', { x: 'uint' }), { x: 7 })).toBe(true);
  });

  it('fails when a declared parameter is missing, even where the expression could short-circuit', () => {
    const c = cond('x < 100 || y < 50', { x: 'int', y: 'int' });
    expect(() => evaluate(c, { x: 10 })).toThrow(/missing context parameters '\[y\]'/);
    expect(evaluate(c, { x: 10, y: 500 })).toBe(true);
  });

  it('lets the tuple context override the request context for the same key', () => {
    const c = cond('x < 100', { x: 'int' });
    expect(evaluate(c, { x: 1 }, { x: 500 })).toBe(false);
    expect(evaluate(c, { x: 500 }, { x: 1 })).toBe(true);
  });

  it('compares RFC 3339 timestamps and Go durations, and rejects malformed ones', () => {
    const ts = cond('ts < timestamp("2023-10-11T10:00:00.000Z")', { ts: 'timestamp' });
    expect(evaluate(ts, { ts: '2023-10-11T09:00:00.000Z' })).toBe(true);
    expect(evaluate(ts, { ts: '2023-10-11T12:00:00+02:00' })).toBe(false);
    expect(() => evaluate(ts, { ts: '2023-10-11T11:00.000Z' })).toThrow(ConditionEvaluationError);
    const d = cond('d <= duration("1h30m")', { d: 'duration' });
    expect(evaluate(d, { d: '90m' })).toBe(true);
    expect(evaluate(d, { d: '1.6h' })).toBe(false);
    expect(() => evaluate(d, { d: '10 minutes' })).toThrow(/duration/);
  });

  it('matches ipaddress values against CIDRs, IPv4-mapped IPv6 included', () => {
    const c = cond('ip.in_cidr(cidr)', { ip: 'ipaddress', cidr: 'string' });
    expect(evaluate(c, { ip: '192.168.0.1', cidr: '192.168.0.0/24' })).toBe(true);
    expect(evaluate(c, { ip: '192.168.1.0', cidr: '192.168.0.0/24' })).toBe(false);
    expect(evaluate(c, { ip: '::ffff:10.1.2.3', cidr: '10.0.0.0/8' })).toBe(true);
    expect(evaluate(c, { ip: '2001:db8::1', cidr: '2001:db8::/32' })).toBe(true);
    expect(evaluate(c, { ip: '2001:db9::1', cidr: '2001:db8::/32' })).toBe(false);
    expect(() => evaluate(c, { ip: '300.1.1.1', cidr: '10.0.0.0/8' })).toThrow(/well-formed IP/);
    expect(() => evaluate(c, { ip: '10.0.0.1', cidr: 'nonsense' })).toThrow(/malformed CIDR/);
  });

  it('types list and map parameters by their element type', () => {
    expect(evaluate(cond('"eu" in regions', { regions: ['list', 'string'] }), { regions: ['us', 'eu'] })).toBe(true);
    expect(() => evaluate(cond('"eu" in regions', { regions: ['list', 'string'] }), { regions: ['us', 3] })).toThrow(/index `1`/);
    expect(evaluate(cond('limits["eu"] > 5', { limits: ['map', 'int'] }), { limits: { eu: 7 } })).toBe(true);
  });

  it('treats an unrepresentable double as an evaluation error, not as false', () => {
    const c = cond('x > 0.0', { x: 'double' });
    expect(evaluate(c, { x: 1.5 })).toBe(true);
    expect(() => evaluate(c, { x: Number.POSITIVE_INFINITY })).toThrow(ConditionEvaluationError);
    expect(() => evaluate(c, { x: '1.8e309' })).toThrow(ConditionEvaluationError);
  });

  it('reports a runtime CEL error (a missing map key) as an evaluation error', () => {
    expect(() => evaluate(cond('limits["eu"] > 5', { limits: ['map', 'int'] }), { limits: {} })).toThrow(/failed to evaluate condition expression/);
  });

  it('refuses at compile time an expression that is not a bool or does not type-check', () => {
    expect(() => CompiledCondition.compile(cond('x + 1', { x: 'int' }))).toThrow(ConditionCompilationError);
    expect(() => CompiledCondition.compile(cond('x < "a"', { x: 'int' }))).toThrow(ConditionCompilationError);
    expect(() => CompiledCondition.compile(cond('y < 1', { x: 'int' }))).toThrow(ConditionCompilationError);
  });

  it('evaluates a bool parameter and rejects a non-bool value for it', () => {
    const c = cond('b && x > 1', { b: 'bool', x: 'int' });
    expect(evaluate(c, { b: true, x: 2 })).toBe(true);
    expect(evaluate(c, { b: false, x: 2 })).toBe(false);
    expect(() => evaluate(c, { b: 'true', x: 2 })).toThrow(/expected type value 'bool', but found 'string'/);
  });

  it('offers cel-go\'s global matches() besides the receiver form', () => {
    expect(evaluate(cond('matches(s, "^a+$") && s.matches("a")', { s: 'string' }), { s: 'aaa' })).toBe(true);
    expect(evaluate(cond('matches(s, "^a+$")', { s: 'string' }), { s: 'aab' })).toBe(false);
  });

  it('refuses functions outside OpenFGA\'s CEL environment with cel-go\'s undeclared-reference error', () => {
    const refused = (expression: string) => () => CompiledCondition.compile({ ...cond(expression, { s: 'string' }), name: 'cond' });
    expect(refused('s.lowerAscii() == "a"')).toThrow(
      "failed to compile expression on condition 'cond' - ERROR: cond:1:13: undeclared reference to 'lowerAscii' (in container '')",
    );
    expect(refused('s.split(",").size() > 0')).toThrow("ERROR: cond:1:8: undeclared reference to 'split'");
    expect(refused('cel.bind(x, s, x == s)')).toThrow("ERROR: cond:1:1: undeclared reference to 'cel'");
    expect(refused('true &&\n  ["a"].join() == s')).toThrow("ERROR: cond:2:13: undeclared reference to 'join'");
  });

  it('compiles the densest expressions OpenFGA\'s 512-byte limit allows and refuses nesting past cel-go\'s depth', () => {
    const bools = Array.from({ length: 170 }, () => 'b').join('||');
    expect(() => CompiledCondition.compile(cond(bools.slice(0, 511), { b: 'bool' }))).not.toThrow();
    expect(() => CompiledCondition.compile(cond(`[${Array(255).fill('1').join(',')}] == []`, {}))).not.toThrow();
    expect(() => CompiledCondition.compile(cond(`${'!'.repeat(510)}b`, { b: 'bool' }))).not.toThrow();
    expect(() => CompiledCondition.compile(cond(`${'('.repeat(255)}b${')'.repeat(255)}`, { b: 'bool' }))).toThrow(ConditionCompilationError);
  });

  it('rejects context keys a condition does not declare when validating a stored tuple', () => {
    const compiled = CompiledCondition.compile(cond('x < 1', { x: 'int' }));
    expect(() => compiled.typedParameters({ y: 1 }, true)).toThrow(/invalid context parameter: y/);
    expect(compiled.typedParameters({ x: 0 }, true)).toEqual({ x: 0n });
  });
});
