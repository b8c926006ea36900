import type { Filter } from 'scim2-parse-filter';
import { storedText, subAttribute, type AttributeDef } from '../schema/attributes.ts';
import { isUnassigned, type ScimObject } from '../doc.ts';
import { invalidFilter } from '../errors.ts';

/**
 * Evaluates a value filter (`emails[type eq "work"]`) against one element of a multi-valued
 * attribute of one resource, honouring each sub-attribute's caseExact. This only ever looks at
 * a single resource's values: directory-wide filters are translated to SQL (filter-sql.ts).
 */
export function matchesElement(filter: Filter, element: ScimObject, attr: AttributeDef): boolean {
  switch (filter.op) {
    case 'and':
      return filter.filters.every((f) => matchesElement(f, element, attr));
    case 'or':
      return filter.filters.some((f) => matchesElement(f, element, attr));
    case 'not':
      return !matchesElement(filter.filter, element, attr);
    case '[]':
      throw invalidFilter('Value filters cannot be nested.');
    case 'pr': {
      const sub = subOf(attr, filter.attrPath);
      return !isUnassigned(element[sub.name]);
    }
    default: {
      const sub = subOf(attr, filter.attrPath);
      return compare(filter.op, element[sub.name], asStored(sub, filter.compValue), sub.caseExact);
    }
  }
}

/** The sub-attribute equalities of a filter made only of `eq` joined by `and` (what can be created). */
export function equalitiesOf(filter: Filter, attr: AttributeDef): ScimObject | undefined {
  if (filter.op === 'eq') {
    const sub = subOf(attr, filter.attrPath);
    return { [sub.name]: asStored(sub, filter.compValue) };
  }
  if (filter.op !== 'and') return undefined;
  const out: ScimObject = {};
  for (const f of filter.filters) {
    const part = equalitiesOf(f, attr);
    if (!part) return undefined;
    Object.assign(out, part);
  }
  return out;
}

const asStored = <T>(def: AttributeDef, v: T): T | string => (typeof v === 'string' ? storedText(def, v) : v);

function subOf(attr: AttributeDef, path: string): AttributeDef {
  const name = path.includes('.') && path.toLowerCase().startsWith(`${attr.name.toLowerCase()}.`) ? path.slice(attr.name.length + 1) : path;
  const sub = subAttribute(attr, name);
  if (!sub) throw invalidFilter(`'${path}' is not a sub-attribute of '${attr.name}'.`);
  return sub;
}

function compare(op: string, actual: unknown, expected: unknown, caseExact: boolean): boolean {
  if (op === 'ne') return !compare('eq', actual, expected, caseExact);
  if (actual === undefined || actual === null) return op === 'eq' && expected === null;
  if (typeof actual === 'boolean' || typeof expected === 'boolean') {
    const b = typeof expected === 'string' ? expected.toLowerCase() === 'true' : expected;
    if (op === 'eq') return actual === b;
    throw invalidFilter(`'${op}' does not apply to booleans.`);
  }
  if (typeof actual !== 'string' || typeof expected !== 'string') return op === 'eq' && actual === expected;
  const a = caseExact ? actual : actual.toLowerCase();
  const e = caseExact ? expected : expected.toLowerCase();
  switch (op) {
    case 'eq':
      return a === e;
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      throw invalidFilter(`Unknown operator '${op}'.`);
  }
}
