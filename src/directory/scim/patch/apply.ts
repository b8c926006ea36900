import { canonicalJson } from '../../../lib/canonical-json.ts';
import { subAttribute, type AttributeDef } from '../schema/attributes.ts';
import { resolveAttribute, type ResolvedAttribute, type ResourceSchema } from '../schema/registry.ts';
import { cloneDoc, compact, isObject, isUnassigned, type ScimObject, type ScimValue } from '../doc.ts';
import type { Normalisations } from '../dialects.ts';
import { invalidPath, invalidValue, mutability, noTarget } from '../errors.ts';
import { lostItsValue, normaliseResource, normaliseValue } from '../input.ts';
import type { PatchOperation } from './request.ts';
import { equalitiesOf, matchesElement } from './value-filter.ts';

/**
 * Applies PATCH operations to a copy of a resource document, in order. Any failing operation
 * throws before anything is stored, so a PATCH applies completely or not at all.
 */
export function applyPatch(
  current: ScimObject,
  ops: readonly PatchOperation[],
  resource: ResourceSchema,
  n: Normalisations,
  resourceId: string,
): ScimObject {
  const doc = cloneDoc(current);
  for (const op of ops) {
    if (!op.path) {
      if (op.op === 'remove') throw noTarget(`Operations[${op.index}]: 'remove' needs a path.`);
      applyPathless(doc, op, resource, n, resourceId);
    } else if (op.path.kind === 'extension') {
      if (op.op === 'remove') delete doc[op.path.schema.id];
      else applyPathless(doc, { ...op, value: { [op.path.schema.id]: op.value } }, resource, n, resourceId);
    } else {
      applyAt(doc, op, op.path.target, n);
    }
  }
  return compact(doc);
}

function applyPathless(doc: ScimObject, op: PatchOperation, resource: ResourceSchema, n: Normalisations, resourceId: string): void {
  if (!isObject(op.value)) throw invalidValue(`Operations[${op.index}]: a path-less '${op.op}' needs an object value.`);
  const idKey = Object.keys(op.value).find((k) => k.toLowerCase() === 'id');
  if (idKey !== undefined) {
    if (op.value[idKey] !== resourceId) throw mutability("'id' is read-only.");
    n.note('readonly_value_ignored', "'id' equal to the resource's id in a path-less PATCH value");
  }
  const partial = normaliseResource(op.value, resource, n);
  for (const [key, value] of Object.entries(partial)) {
    const ext = resource.extensions.find((e) => e.schema.id === key)?.schema;
    if (ext) {
      const container = (isObject(doc[key]) ? doc[key] : (doc[key] = {})) as ScimObject;
      for (const [subKey, subValue] of Object.entries(value as ScimObject)) {
        const attr = ext.attributes.find((a) => a.name === subKey) as AttributeDef;
        setAttribute(container, attr, subValue ?? null, op.op);
      }
      continue;
    }
    setAttribute(doc, (resolveAttribute(resource, key) as ResolvedAttribute).attr, value ?? null, op.op);
  }
}

/** add/replace of a whole attribute's (already normalised) value. */
function setAttribute(container: ScimObject, attr: AttributeDef, value: ScimValue, op: 'add' | 'replace' | 'remove'): void {
  const prior = container[attr.name];
  if (attr.multiValued && op === 'add') {
    const existing = Array.isArray(prior) ? prior : [];
    const present = keysOf(attr, existing);
    const added = (Array.isArray(value) ? value : [value]).filter((v) => !present.has(elementKey(attr, v)));
    container[attr.name] = [...existing, ...added];
  } else if (!attr.multiValued && attr.type === 'complex' && isObject(prior) && isObject(value)) {
    container[attr.name] = { ...prior, ...value };
  } else {
    container[attr.name] = value;
  }
}

function applyAt(doc: ScimObject, op: PatchOperation, target: ResolvedAttribute, n: Normalisations): void {
  const { attr, sub } = target;
  if (attr.mutability === 'readOnly' || sub?.mutability === 'readOnly') throw mutability(`'${attr.name}${sub ? `.${sub.name}` : ''}' is read-only.`);
  const container = target.extension ? ((isObject(doc[target.schema.id]) ? doc[target.schema.id] : (doc[target.schema.id] = {})) as ScimObject) : doc;
  const filter = op.path?.kind === 'attribute' ? op.path.filter : undefined;
  const where = op.path?.kind === 'attribute' ? op.path.text : attr.name;

  if (filter) return applyFiltered(container, op, target, filter, where, n);

  if (!sub) {
    if (op.op === 'remove' && attr.required) throw mutability(`'${attr.name}' is required and cannot be removed.`);
    if (op.op === 'remove') return removeAttribute(container, attr, op.value, n);
    return setAttribute(container, attr, normaliseValue(attr, op.value, where, n), op.op);
  }
  const value = op.op === 'remove' ? null : normaliseValue(sub, op.value, where, n);
  if (attr.multiValued) {
    const list = Array.isArray(container[attr.name]) ? (container[attr.name] as ScimValue[]) : [];
    container[attr.name] = list.map((e) => (isObject(e) ? { ...e, [sub.name]: value } : e)).filter((e) => !lostItsValue(attr, e));
    return;
  }
  const parent = isObject(container[attr.name]) ? (container[attr.name] as ScimObject) : {};
  container[attr.name] = { ...parent, [sub.name]: value };
}

function removeAttribute(container: ScimObject, attr: AttributeDef, value: unknown, n: Normalisations): void {
  if (attr.multiValued && value !== undefined && value !== null) {
    const doomed = normaliseValue(attr, value, attr.name, n) as ScimValue[];
    n.note('remove_with_value', `'remove' of ${attr.name} listing ${doomed.length} value(s)`);
    const list = Array.isArray(container[attr.name]) ? (container[attr.name] as ScimValue[]) : [];
    const gone = keysOf(attr, doomed);
    container[attr.name] = list.filter((e) => !canMatch(e) || !gone.has(elementKey(attr, e)));
    return;
  }
  delete container[attr.name];
}

function applyFiltered(
  container: ScimObject,
  op: PatchOperation,
  target: ResolvedAttribute,
  filter: NonNullable<Extract<PatchOperation['path'], { kind: 'attribute' }>['filter']>,
  where: string,
  n: Normalisations,
): void {
  const { attr, sub } = target;
  if (!attr.multiValued) return removeFilteredSingle(container, op, attr, filter, where);
  const list = Array.isArray(container[attr.name]) ? [...(container[attr.name] as ScimValue[])] : [];
  const matched = list.map((e) => isObject(e) && matchesElement(filter, e, attr));
  if (op.op === 'remove') {
    container[attr.name] = sub
      ? list.map((e, i) => (matched[i] && isObject(e) ? { ...e, [sub.name]: null } : e)).filter((e) => !lostItsValue(attr, e))
      : list.filter((_, i) => !matched[i]);
    return;
  }
  const value = sub ? normaliseValue(sub, op.value, where, n) : normaliseValue({ ...attr, multiValued: false }, op.value, where, n);
  if (sub?.name === 'value' && value === null) {
    // Entra clears emails[type eq "work"].value with "": the work email goes; none is created.
    container[attr.name] = list.filter((_, i) => !matched[i]);
    return;
  }
  if (!matched.includes(true)) {
    const seed = equalitiesOf(filter, attr);
    if (!seed) throw noTarget(`No value of '${attr.name}' matches '${where}'.`);
    n.note('filtered_path_created', `'${op.op}' of '${where}' created the value`);
    const created = sub ? { ...seed, [sub.name]: value } : { ...seed, ...(value as ScimObject) };
    container[attr.name] = onlyPrimary(attr, [...list, created], (i) => i === list.length);
    return;
  }
  const updated = list.map((e, i) => {
    if (!matched[i] || !isObject(e)) return e;
    if (sub) return { ...e, [sub.name]: value };
    if (!isObject(value)) throw invalidPath(`'${where}' needs an object value.`);
    return op.op === 'add' ? { ...e, ...value } : value;
  });
  container[attr.name] = onlyPrimary(attr, updated, (i) => matched[i] === true);
}

/**
 * RFC 7644 §3.5.2: an operation that makes a value primary makes the attribute's other values
 * non-primary, wherever the new primary sits in the list (`chosen`: the values it wrote).
 */
function onlyPrimary(attr: AttributeDef, list: ScimValue[], chosen: (index: number) => boolean): ScimValue[] {
  if (!subAttribute(attr, 'primary') || !list.some((e, i) => chosen(i) && isObject(e) && e.primary === true)) return list;
  return list.map((e, i) => (!chosen(i) && isObject(e) && e.primary === true ? { ...e, primary: false } : e));
}

/** Entra removes a manager as `manager[value eq "…"]`: only a whole-value remove is read that way. */
function removeFilteredSingle(container: ScimObject, op: PatchOperation, attr: AttributeDef, filter: Parameters<typeof matchesElement>[0], where: string): void {
  if (op.op !== 'remove' || (op.path?.kind === 'attribute' && op.path.target.sub)) {
    throw invalidPath(`'${attr.name}' is single-valued: '${where}' can only remove it whole.`);
  }
  const value = container[attr.name];
  if (isObject(value) && matchesElement(filter, value, attr)) delete container[attr.name];
}

/**
 * Members are the same member when their `value` is; other values when all their sub-attributes
 * are. As a key, so that adding or removing many values against many stays linear.
 */
function elementKey(attr: AttributeDef, v: ScimValue): string {
  if (attr.name === 'members' && isObject(v)) return v.value === undefined ? 'member' : `member:${JSON.stringify(v.value)}`;
  if (isObject(v)) return `object:${canonicalJson(compact(v))}`;
  return `value:${canonicalJson(v)}`;
}

/** The keys of the values that can match another (an unassigned plain value matches nothing). */
function keysOf(attr: AttributeDef, values: readonly ScimValue[]): Set<string> {
  return new Set(values.filter(canMatch).map((v) => elementKey(attr, v)));
}

const canMatch = (v: ScimValue) => isObject(v) || !isUnassigned(v);
