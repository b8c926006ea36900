import type { ConditionParamTypeRef } from '@openfga/sdk';
import { Duration, UnsignedInt } from '@marcbachmann/cel-js/evaluator';
import { IPAddress } from './ipaddress.ts';

/**
 * OpenFGA's condition parameter types and how a JSON context value becomes a typed CEL value,
 * following `internal/condition/types` (numbers may arrive as JSON numbers or numeric strings;
 * `int`/`uint` must be integral; timestamps are RFC 3339 strings; durations Go duration strings).
 */
export type ParamTypeName =
  | 'any' | 'bool' | 'string' | 'int' | 'uint' | 'double' | 'duration' | 'timestamp' | 'ipaddress' | 'list' | 'map';

export interface ParamType {
  name: ParamTypeName;
  /** The element type of `list<T>` and the value type of `map<T>` (keys are strings). */
  generic?: ParamType;
}

const NAMES: Record<string, ParamTypeName> = {
  TYPE_NAME_ANY: 'any', TYPE_NAME_BOOL: 'bool', TYPE_NAME_STRING: 'string', TYPE_NAME_INT: 'int',
  TYPE_NAME_UINT: 'uint', TYPE_NAME_DOUBLE: 'double', TYPE_NAME_DURATION: 'duration',
  TYPE_NAME_TIMESTAMP: 'timestamp', TYPE_NAME_IPADDRESS: 'ipaddress', TYPE_NAME_LIST: 'list', TYPE_NAME_MAP: 'map',
};

/** Decodes a parameter type reference; throws with OpenFGA's wording when it is malformed. */
export function decodeParamType(ref: ConditionParamTypeRef): ParamType {
  const name = NAMES[ref.type_name];
  if (!name) throw new Error(`unknown condition parameter type \`${ref.type_name}\``);
  const generics = ref.generic_types ?? [];
  const expected = name === 'list' || name === 'map' ? 1 : 0;
  if (generics.length !== expected) {
    throw new Error(`type \`${ref.type_name}\` requires ${expected} generic types; found ${generics.length}`);
  }
  return expected === 1 ? { name, generic: decodeParamType(generics[0] as ConditionParamTypeRef) } : { name };
}

/** The CEL type a parameter is declared with. */
export function celTypeOf(t: ParamType): string {
  switch (t.name) {
    case 'any': return 'dyn';
    case 'duration': return 'google.protobuf.Duration';
    case 'timestamp': return 'google.protobuf.Timestamp';
    case 'ipaddress': return 'IPAddress';
    case 'list': return `list<${celTypeOf(t.generic as ParamType)}>`;
    case 'map': return `map<string, ${celTypeOf(t.generic as ParamType)}>`;
    default: return t.name;
  }
}

export function paramTypeString(t: ParamType): string {
  return t.generic ? `${t.name}<${paramTypeString(t.generic)}>` : t.name;
}

const goTypeOf = (v: unknown): string => {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'number': return 'float64';
    case 'boolean': return 'bool';
    case 'string': return 'string';
    default: return 'map[string]interface {}';
  }
};

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function numeric(kind: 'int64' | 'uint64' | 'float64', value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`number cannot be represented as a ${kind}: ${value}`);
    return value;
  }
  if (typeof value !== 'string') throw new Error(`expected type value '${kind}', but found '${goTypeOf(value)}'`);
  const n = NUMERIC.test(value.trim()) ? Number(value) : NaN;
  if (Number.isNaN(n)) throw new Error(`expected a ${kind} value, but found invalid string value '${value}'`);
  if (!Number.isFinite(n)) throw new Error(`number cannot be represented as a float64: ${value}`);
  return n;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DURATION_PART = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
const NANOS: Record<string, bigint> = {
  ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};

/** Go's `time.ParseDuration`: `300ms`, `-1.5h`, `2h45m`; a bare `0` is allowed. */
export function parseGoDuration(text: string): Duration | undefined {
  let s = text;
  const negative = s.startsWith('-');
  if (s.startsWith('-') || s.startsWith('+')) s = s.slice(1);
  if (s === '0') return new Duration(0n, 0);
  if (s === '') return undefined;
  let total = 0n;
  while (s !== '') {
    const m = DURATION_PART.exec(s);
    if (!m) return undefined;
    const [int = '0', frac = ''] = (m[1] as string).split('.');
    const unit = NANOS[m[2] as string] as bigint;
    total += BigInt(int || '0') * unit + (frac ? (BigInt(frac.slice(0, 18).padEnd(18, '0')) * unit) / 10n ** 18n : 0n);
    s = s.slice(m[0].length);
  }
  if (negative) total = -total;
  return new Duration(total / 1_000_000_000n, Number(total % 1_000_000_000n));
}

/** Converts a JSON context value to the CEL value of type `t`; throws an Error with the reason. */
export function convertValue(t: ParamType, value: unknown): unknown {
  switch (t.name) {
    case 'any':
      return value;
    case 'bool':
    case 'string':
      if (typeof value !== (t.name === 'bool' ? 'boolean' : 'string')) throw new Error(`expected type value '${t.name}', but found '${goTypeOf(value)}'`);
      return value;
    case 'double':
      return numeric('float64', value);
    case 'int':
    case 'uint': {
      const n = numeric(t.name === 'int' ? 'int64' : 'uint64', value);
      if (!Number.isInteger(n)) throw new Error(`expected ${t.name === 'int' ? 'an int' : 'a uint'} value, but found numeric value '${n}'`);
      if (t.name === 'int') return BigInt(n);
      if (n < 0) throw new Error(`expected a uint value, but found int64 value '${n}'`);
      return new UnsignedInt(BigInt(n));
    }
    case 'duration': {
      const d = typeof value === 'string' ? parseGoDuration(value) : undefined;
      if (typeof value !== 'string') throw new Error(`expected a duration string, but found: ${goTypeOf(value)} '${String(value)}'`);
      if (!d) throw new Error(`expected a valid duration string, but found: '${value}'`);
      return d;
    }
    case 'timestamp': {
      if (typeof value !== 'string') throw new Error(`expected RFC 3339 formatted timestamp string, but found: ${goTypeOf(value)} '${String(value)}'`);
      const date = RFC3339.test(value) ? new Date(value) : undefined;
      if (!date || Number.isNaN(date.getTime())) throw new Error(`expected RFC 3339 formatted timestamp string, but found '${value}'`);
      return date;
    }
    case 'ipaddress': {
      if (typeof value !== 'string') throw new Error(`expected an ipaddress string, but found: ${goTypeOf(value)} '${String(value)}'`);
      const ip = IPAddress.parse(value);
      if (!ip) throw new Error(`expected a well-formed IP address, but found: '${value}'`);
      return ip;
    }
    case 'list': {
      if (!Array.isArray(value)) throw new Error(`list requires a list, found: ${goTypeOf(value)}`);
      return value.map((item, i) => {
        try {
          return convertValue(t.generic as ParamType, item);
        } catch (err) {
          throw new Error(`found an invalid list item at index \`${i}\`: ${(err as Error).message}`);
        }
      });
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`map requires a map, found: ${goTypeOf(value)}`);
      const out = new Map<string, unknown>();
      for (const [k, v] of Object.entries(value)) {
        try {
          out.set(k, convertValue(t.generic as ParamType, v));
        } catch (err) {
          throw new Error(`found an invalid value for key '${k}': ${(err as Error).message}`);
        }
      }
      return out;
    }
  }
}
