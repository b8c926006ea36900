import { base } from './schema/common.ts';
import { subAttribute, type AttributeDef } from './schema/attributes.ts';
import { resolveAttribute, splitSchemaPrefix, type ResourceSchema } from './schema/registry.ts';
import { isObject, type ScimObject, type ScimValue } from './doc.ts';

/** `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5), resolved to `schema:attr[.sub]` keys. */
export interface Projection {
  attributes?: Set<string>;
  excluded?: Set<string>;
}

/** Parses the comma-separated parameters; names this service does not know are ignored. */
export function parseProjection(resource: ResourceSchema, attributes?: string | string[], excluded?: string | string[]): Projection {
  const keys = (raw: string | string[] | undefined) => {
    if (raw === undefined) return undefined;
    const out = new Set<string>();
    for (const name of (Array.isArray(raw) ? raw : raw.split(',')).map((s) => s.trim()).filter(Boolean)) {
      const whole = splitSchemaPrefix(resource, name);
      if (whole.schema && whole.rest === '' && whole.schema !== resource.core) out.add(whole.schema.id.toLowerCase());
      const r = resolveAttribute(resource, name);
      if (r) out.add(`${r.schema.id}:${r.attr.name}${r.sub ? `.${r.sub.name}` : ''}`.toLowerCase());
    }
    return out;
  };
  return { attributes: keys(attributes), excluded: keys(excluded) };
}

/** Whether the projection returns any of `attr` (so group members are loaded only when they will be shown). */
export function wantsAttribute(p: Projection, schemaId: string, attr: string): boolean {
  const key = `${schemaId}:${attr}`.toLowerCase();
  if (p.attributes) return [...p.attributes].some((k) => k === key || k.startsWith(`${key}.`));
  return !p.excluded?.has(key);
}

/** Applies a projection to a full resource; `id` and `schemas` are always returned. */
export function project(full: ScimObject, resource: ResourceSchema, p: Projection): ScimObject {
  // Resources are built from schema attributes only: with no parameters, only `never` and
  // `request` attributes could be dropped, and a resource type without any returns as built.
  if (!p.attributes && !p.excluded && !hidesByDefault(resource)) return full;
  const out: ScimObject = { schemas: full.schemas, id: full.id };
  const coreAttrs = [...base, ...resource.core.attributes];
  for (const [key, value] of Object.entries(full)) {
    if (key === 'schemas' || key === 'id' || value === undefined) continue;
    const ext = resource.extensions.find((e) => e.schema.id === key)?.schema;
    if (ext && isObject(value)) {
      const extKey = ext.id.toLowerCase();
      if (p.excluded?.has(extKey)) continue;
      const whole = p.attributes?.has(extKey) ? { excluded: p.excluded } : p;
      const inner: ScimObject = {};
      for (const [name, v] of Object.entries(value)) {
        const def = ext.attributes.find((a) => a.name === name);
        const kept = def && v !== undefined ? pick(ext.id, def, v, whole) : undefined;
        if (kept !== undefined) inner[name] = kept;
      }
      if (Object.keys(inner).length > 0) out[key] = inner;
      continue;
    }
    const def = coreAttrs.find((a) => a.name === key);
    const kept = def && pick(resource.core.id, def, value, p);
    if (kept !== undefined) out[key] = kept;
  }
  if (Array.isArray(out.schemas)) out.schemas = out.schemas.filter((s) => s === resource.core.id || out[s as string] !== undefined);
  return out;
}

function pick(schemaId: string, def: AttributeDef, value: ScimValue, p: Projection): ScimValue | undefined {
  if (def.returned === 'never') return undefined;
  const key = `${schemaId}:${def.name}`.toLowerCase();
  if (def.returned === 'always') return value;
  if (p.attributes) {
    if (p.attributes.has(key)) return keepSubs(def, value, (s) => s.returned !== 'request' || p.attributes?.has(`${key}.${s.name}`.toLowerCase()) === true);
    const subs = [...p.attributes].filter((k) => k.startsWith(`${key}.`)).map((k) => k.slice(key.length + 1));
    return subs.length === 0 ? undefined : keepSubs(def, value, (s) => subs.includes(s.name.toLowerCase()));
  }
  if (p.excluded?.has(key)) return undefined;
  return keepSubs(def, value, (s) => s.returned !== 'request' && !p.excluded?.has(`${key}.${s.name}`.toLowerCase()));
}

function keepSubs(def: AttributeDef, value: ScimValue, keep: (sub: AttributeDef) => boolean): ScimValue | undefined {
  if (!def.subAttributes) return value;
  const filterOne = (v: ScimValue): ScimValue => {
    if (!isObject(v)) return v;
    const out: ScimObject = {};
    for (const [name, sv] of Object.entries(v)) {
      const sub = subAttribute(def, name);
      if (!sub || keep(sub)) out[name] = sv;
    }
    return out;
  };
  const result = Array.isArray(value) ? value.map(filterOne).filter((v) => !isObject(v) || Object.keys(v).length > 0) : filterOne(value);
  if (Array.isArray(result) ? result.length === 0 : isObject(result) && Object.keys(result).length === 0) return undefined;
  return result;
}

const hiddenByDefault = new WeakMap<ResourceSchema, boolean>();

/** Whether the resource type has attributes (or sub-attributes) not returned by default. */
function hidesByDefault(resource: ResourceSchema): boolean {
  let hides = hiddenByDefault.get(resource);
  if (hides === undefined) {
    const all = [...base, ...resource.core.attributes, ...resource.extensions.flatMap((e) => e.schema.attributes)];
    hides = all.some((a) => [a, ...(a.subAttributes ?? [])].some((x) => x.returned === 'never' || x.returned === 'request'));
    hiddenByDefault.set(resource, hides);
  }
  return hides;
}
