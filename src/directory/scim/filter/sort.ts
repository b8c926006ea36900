import { resolveAttribute, type ResourceSchema } from '../schema/registry.ts';
import { invalidValue } from '../errors.ts';
import { COLUMNS } from './columns.ts';

/**
 * The ORDER BY expression for `sortBy` (RFC 7644 §3.4.2.3): a column, or for a multi-valued
 * attribute its primary (else first) value. caseExact=false attributes sort case-insensitively.
 */
export function sortExpression(sortBy: string, resource: ResourceSchema): string {
  const resolved = resolveAttribute(resource, sortBy);
  const map = COLUMNS.get(resource);
  if (!resolved || !map) throw invalidValue(`'${sortBy}' is not an attribute of ${resource.name}.`);
  const def = resolved.sub ?? resolved.attr;
  const collate = def.caseExact ? '' : ' COLLATE NOCASE';
  if (resolved.attr.multiValued) {
    const child = map.children[resolved.attr.name];
    const subName = resolved.sub?.name ?? child?.defaultSub;
    const column = child && subName ? child.subs[subName] : undefined;
    if (!child || !column) throw invalidValue(`'${sortBy}' cannot be used to sort.`);
    const order = 'primary' in child.subs ? `ORDER BY s.is_primary DESC, s.position` : 'ORDER BY 1';
    const from = child.from.replaceAll('@', 's').replaceAll('$', map.alias);
    const join = child.join.replaceAll('@', 's').replaceAll('$', map.alias);
    return `(SELECT ${column.replaceAll('@', 's')} FROM ${from} WHERE ${join} ${order} LIMIT 1)${collate}`;
  }
  const key = resolved.sub ? `${resolved.attr.name}.${resolved.sub.name}` : resolved.attr.name;
  const column = map.columns[key];
  if (column === undefined) throw invalidValue(`'${sortBy}' cannot be used to sort.`);
  return `${column.replaceAll('$', map.alias)}${collate}`;
}
