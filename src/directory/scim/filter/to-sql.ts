import type { Compare, Filter } from 'scim2-parse-filter';
import type { SqlFragment } from '../../sql-fragment.ts';
import { storedText, subAttribute, type AttributeDef } from '../schema/attributes.ts';
import { resolveAttribute, type ResourceSchema } from '../schema/registry.ts';
import { foldCase } from '../../../lib/case-fold.ts';
import { invalidFilter } from '../errors.ts';
import { COLUMNS, type ChildTarget, type FoldedTarget } from './columns.ts';

interface Scope {
  resource: ResourceSchema;
  tenantId: string;
  alias: string;
  nextAlias: () => string;
}

/**
 * Translates a parsed filter (RFC 7644 §3.4.2.2, the whole grammar) into a WHERE fragment over
 * the resource table. caseExact=false attributes compare with COLLATE NOCASE, except those with a
 * folded column (userName, emails.value), whose text matches compare it with `foldCase` of the
 * literal (all of Unicode, through its index) and whose ordering stays NOCASE; multi-valued
 * attributes become `id IN (…)` over their child tables, scoped to the tenant. Unknown attributes
 * and operators that do not apply to an attribute's type are `invalidFilter`.
 */
export function filterToSql(filter: Filter, resource: ResourceSchema, tenantId: string): SqlFragment {
  const map = COLUMNS.get(resource);
  if (!map) throw new Error(`no column map for ${resource.name}`);
  let n = 0;
  return translate(filter, { resource, tenantId, alias: map.alias, nextAlias: () => `f${++n}` });
}

function translate(f: Filter, s: Scope): SqlFragment {
  switch (f.op) {
    case 'and':
    case 'or': {
      const parts = f.filters.map((x) => translate(x, s));
      return { sql: parts.map((p) => `(${p.sql})`).join(f.op === 'and' ? ' AND ' : ' OR '), params: parts.flatMap((p) => p.params) };
    }
    case 'not': {
      const inner = translate(f.filter, s);
      return { sql: `NOT coalesce((${inner.sql}), 0)`, params: inner.params };
    }
    case '[]': {
      const child = childOf(f.attrPath, s);
      if (!child) throw invalidFilter(`'${f.attrPath}' is not a multi-valued attribute.`);
      return matchingChild(child, s, (alias) => translateWithin(f.valFilter, child, alias, s));
    }
    default:
      return comparison(f, s);
  }
}

/** A filter inside `attr[...]`: its attribute paths are sub-attributes of `attr`. */
function translateWithin(f: Filter, child: ChildTarget, alias: string, s: Scope): SqlFragment {
  switch (f.op) {
    case 'and':
    case 'or': {
      const parts = f.filters.map((x) => translateWithin(x, child, alias, s));
      return { sql: parts.map((p) => `(${p.sql})`).join(f.op === 'and' ? ' AND ' : ' OR '), params: parts.flatMap((p) => p.params) };
    }
    case 'not': {
      const inner = translateWithin(f.filter, child, alias, s);
      return { sql: `NOT coalesce((${inner.sql}), 0)`, params: inner.params };
    }
    case '[]':
      throw invalidFilter('Value filters cannot be nested.');
    default: {
      const { expr, def, folded } = subColumn(child, f.attrPath, alias, s);
      return f.op === 'pr' ? present(expr, def) : compare(f, expr, def, folded);
    }
  }
}

function comparison(f: Exclude<Filter, { op: 'and' | 'or' | 'not' | '[]' }>, s: Scope): SqlFragment {
  const child = childOf(f.attrPath, s);
  if (child) {
    // The sub-attribute as resolved, so a URN prefix (whose "2.0" has a dot) is not read as one.
    const sub = resolveAttribute(s.resource, f.attrPath)?.sub;
    return matchingChild(child, s, (alias) => {
      if (f.op === 'pr' && !sub) return { sql: '1', params: [] };
      const { expr, def, folded } = subColumn(child, sub?.name ?? child.defaultSub, alias, s);
      return f.op === 'pr' ? present(expr, def) : compare(f, expr, def, folded);
    });
  }
  const resolved = resolveAttribute(s.resource, f.attrPath);
  if (!resolved) throw invalidFilter(`'${f.attrPath}' is not an attribute of ${s.resource.name}.`);
  const map = COLUMNS.get(s.resource);
  const valueSub = !resolved.sub && resolved.attr.type === 'complex' && f.op !== 'pr' ? subAttribute(resolved.attr, 'value') : undefined;
  const sub = resolved.sub ?? valueSub;
  const key = sub ? `${resolved.attr.name}.${sub.name}` : resolved.attr.name;
  const column = map?.columns[key];
  if (column === undefined) {
    if (resolved.attr.type === 'complex' && !resolved.sub && f.op === 'pr') {
      const subs = Object.keys(map?.columns ?? {}).filter((k) => k.startsWith(`${resolved.attr.name}.`));
      return { sql: subs.map((k) => present(bind(map?.columns[k] as string, s.alias), subAttribute(resolved.attr, k.split('.')[1] as string) as AttributeDef).sql).join(' OR ') || '0', params: [] };
    }
    throw invalidFilter(`'${f.attrPath}' cannot be used in a filter.`);
  }
  const def = sub ?? resolved.attr;
  const expr = bind(column, s.alias);
  const folded = map?.folded[key];
  if (folded && foldable(f)) return matchingFolded(f, folded, def, s);
  return f.op === 'pr' ? present(expr, def) : compare(f, expr, def);
}

function childOf(attrPath: string, s: Scope): ChildTarget | undefined {
  const resolved = resolveAttribute(s.resource, attrPath);
  if (!resolved?.attr.multiValued) return undefined;
  const spec = COLUMNS.get(s.resource)?.children[resolved.attr.name];
  if (!spec) throw invalidFilter(`'${attrPath}' cannot be used in a filter.`);
  return { kind: 'child', ...spec, def: resolved.attr };
}

function subColumn(child: ChildTarget, subPath: string, alias: string, s: Scope): { expr: string; def: AttributeDef; folded?: string } {
  const name = subPath.toLowerCase().startsWith(`${child.def.name.toLowerCase()}.`) ? subPath.slice(child.def.name.length + 1) : subPath;
  const def = subAttribute(child.def, name);
  const column = def ? child.subs[def.name] : undefined;
  if (!def || column === undefined) throw invalidFilter(`'${subPath}' is not a sub-attribute of '${child.def.name}'.`);
  const folded = child.folded?.[def.name];
  return { expr: bindChild(column, alias, s.alias), def, ...(folded === undefined ? {} : { folded: bindChild(folded, alias, s.alias) }) };
}

function matchingChild(child: ChildTarget, s: Scope, inner: (alias: string) => SqlFragment): SqlFragment {
  const alias = s.nextAlias();
  const cond = inner(alias);
  return {
    sql: `${s.alias}.id IN (SELECT ${bindChild(child.key, alias, s.alias)} FROM ${bindChild(child.from, alias, s.alias)} WHERE ${bindChild(child.tenant, alias, s.alias)} = ? AND (${cond.sql}))`,
    params: [s.tenantId, ...cond.params],
  };
}

/** `ne` is the complement of `eq` over live rows: the subquery then seeks instead of scanning. */
function matchingFolded(f: Compare, t: FoldedTarget, def: AttributeDef, s: Scope): SqlFragment {
  const alias = s.nextAlias();
  const b = (x: string) => bindChild(x, alias, s.alias);
  const match = compareFolded(f.op === 'ne' ? { ...f, op: 'eq' } : f, b(t.column), def);
  return {
    sql: `${s.alias}.id ${f.op === 'ne' ? 'NOT IN' : 'IN'} (SELECT ${b(t.key)} FROM ${b(t.from)} WHERE ${b(t.scope)} AND (${match.sql}))`,
    params: [s.tenantId, ...match.params],
  };
}

function present(expr: string, def: AttributeDef): SqlFragment {
  return { sql: def.type === 'boolean' ? `${expr} IS NOT NULL` : `(${expr} IS NOT NULL AND ${expr} <> '')`, params: [] };
}

/** Operators that match text, which a folded column answers exactly; ordering keeps NOCASE. */
const FOLDED_OPS: ReadonlySet<string> = new Set(['eq', 'ne', 'co', 'sw', 'ew']);

const foldable = (f: Filter): f is Compare =>
  FOLDED_OPS.has(f.op) && 'compValue' in f && (typeof f.compValue === 'string' || typeof f.compValue === 'number');

const compareFolded = (f: Compare, column: string, def: AttributeDef): SqlFragment =>
  compare({ ...f, compValue: foldCase(String(f.compValue)) }, column, { ...def, caseExact: true });

function compare(f: Compare, expr: string, def: AttributeDef, folded?: string): SqlFragment {
  if (folded !== undefined && foldable(f)) return compareFolded(f, folded, def);
  // dateTime values are normalised ISO instants: compared as stored, so their indexes apply.
  const collate = def.caseExact || def.type === 'dateTime' ? 'COLLATE BINARY' : 'COLLATE NOCASE';
  if (def.type === 'boolean') return compareBoolean(f, expr);
  if (f.compValue === null) {
    if (f.op === 'eq') return { sql: `${expr} IS NULL`, params: [] };
    if (f.op === 'ne') return { sql: `${expr} IS NOT NULL`, params: [] };
    throw invalidFilter(`'${f.op}' cannot compare with null.`);
  }
  if (typeof f.compValue === 'boolean') throw invalidFilter(`'${f.attrPath}' is not a boolean attribute.`);
  const value = def.type === 'dateTime' ? isoInstant(f.compValue) : storedText(def, String(f.compValue));
  switch (f.op) {
    case 'eq':
      return { sql: `${expr} = ? ${collate}`, params: [value] };
    case 'ne':
      return { sql: `(${expr} IS NULL OR ${expr} <> ? ${collate})`, params: [value] };
    case 'co':
    case 'sw':
    case 'ew': {
      if (value === '') return { sql: `${expr} IS NOT NULL`, params: [] };
      const pattern = `${f.op === 'sw' ? '' : '%'}${escapeLike(value)}${f.op === 'ew' ? '' : '%'}`;
      if (!def.caseExact) return { sql: `${expr} LIKE ? ESCAPE '\\'`, params: [pattern] };
      if (f.op === 'co') return { sql: `instr(${expr}, ?) > 0`, params: [value] };
      if (f.op === 'sw') return { sql: `substr(${expr}, 1, length(?)) = ?`, params: [value, value] };
      return { sql: `substr(${expr}, -length(?)) = ?`, params: [value, value] };
    }
    case 'gt':
      return { sql: `${expr} > ? ${collate}`, params: [value] };
    case 'ge':
      return { sql: `${expr} >= ? ${collate}`, params: [value] };
    case 'lt':
      return { sql: `${expr} < ? ${collate}`, params: [value] };
    case 'le':
      return { sql: `${expr} <= ? ${collate}`, params: [value] };
    default:
      throw invalidFilter(`Unknown operator '${String(f.op)}'.`);
  }
}

function compareBoolean(f: Compare, expr: string): SqlFragment {
  const v = typeof f.compValue === 'string' && /^(true|false)$/i.test(f.compValue) ? f.compValue.toLowerCase() === 'true' : f.compValue;
  if (typeof v !== 'boolean') throw invalidFilter(`'${f.attrPath}' is boolean: compare it with true or false.`);
  if (f.op === 'eq') return { sql: `${expr} = ?`, params: [v ? 1 : 0] };
  if (f.op === 'ne') return { sql: `(${expr} IS NULL OR ${expr} <> ?)`, params: [v ? 1 : 0] };
  throw invalidFilter(`'${f.op}' does not apply to the boolean '${f.attrPath}'.`);
}

function isoInstant(v: string | number): string {
  const d = new Date(v);
  if (typeof v !== 'string' || Number.isNaN(d.getTime())) throw invalidFilter(`'${v}' is not a dateTime.`);
  return d.toISOString();
}

const escapeLike = (v: string) => v.replace(/[\\%_]/g, (c) => `\\${c}`);
const bind = (expr: string, alias: string) => expr.replaceAll('$', alias);
const bindChild = (expr: string, child: string, parent: string) => expr.replaceAll('@', child).replaceAll('$', parent);
