import { storedText, subAttribute, type AttributeDef } from './schema/attributes.ts';
import { ALL_SCHEMAS, extensionSchema, resolveAttribute, type ResolvedAttribute, type ResourceSchema } from './schema/registry.ts';
import { isObject, type ScimObject, type ScimValue } from './doc.ts';
import type { Normalisations } from './dialects.ts';
import { invalidSyntax, invalidValue } from './errors.ts';

/** Attributes of RFC 7643's User that Portcullis does not store: accepted only when empty. */
const UNSUPPORTED_USER_ATTRIBUTES = new Set(['roles', 'entitlements', 'ims', 'photos', 'x509certificates']);
const KNOWN_URIS = new Set(ALL_SCHEMAS.map((s) => s.id.toLowerCase()));

/**
 * Turns a request body (POST/PUT) or a PATCH value object into a canonical document:
 * attribute names matched case-insensitively, values checked against their definitions,
 * read-only attributes dropped (RFC 7644 §3.3), unknown attributes refused (400 invalidValue).
 * Deviations accepted on the way are noted in `n`.
 */
export function normaliseResource(raw: unknown, resource: ResourceSchema, n: Normalisations): ScimObject {
  if (!isObject(raw)) throw invalidSyntax('The request body must be a JSON object.');
  const doc: ScimObject = {};
  for (const [key, value] of Object.entries(raw)) {
    const lower = key.toLowerCase();
    if (lower === 'schemas') {
      checkSchemas(value, n);
      continue;
    }
    const ext = extensionSchema(resource, key);
    if (ext) {
      if (value === null) continue;
      if (!isObject(value)) throw invalidValue(`'${key}' must be an object.`);
      for (const [subKey, subValue] of Object.entries(value)) {
        if (subKey.toLowerCase() === 'schemas') continue;
        const resolved = resolveAttribute(resource, `${ext.id}:${subKey}`);
        if (!resolved) throw invalidValue(`Attribute '${subKey}' of ${ext.id} is not supported.`);
        assign(doc, resolved, subValue, `${key}.${subKey}`, n);
      }
      continue;
    }
    const resolved = resolveAttribute(resource, key);
    if (!resolved) {
      if (lower === 'password') {
        n.note('password_discarded', 'password in the request body was not stored');
        continue;
      }
      if (resource.name === 'User' && UNSUPPORTED_USER_ATTRIBUTES.has(lower) && isEmpty(value)) {
        n.note('null_attribute_ignored', `'${key}' is not supported and was empty`);
        continue;
      }
      throw invalidValue(`Attribute '${key}' is not supported by this service provider.`);
    }
    if (resolved.unqualified) {
      // null and [] for an unqualified extension attribute are Entra's unmapped attributes in a
      // POST (ignored); "" clears it like any other empty string (a PATCH replace of manager).
      if (isEmpty(value) && value !== '') {
        n.note('null_attribute_ignored', `'${key}' (${resolved.schema.id}) was null`);
        continue;
      }
      n.note('extension_unqualified', `'${key}' read as ${resolved.schema.id}:${resolved.attr.name}`);
    }
    if (key.includes('.') || key.toLowerCase().startsWith('urn:')) n.note('value_key_path', `key '${key}' read as an attribute path`);
    assign(doc, resolved, value, key, n);
  }
  return doc;
}

/** Normalises one value for an attribute (or sub-attribute) definition. */
export function normaliseValue(def: AttributeDef, raw: unknown, where: string, n: Normalisations): ScimValue {
  if (raw === null || raw === undefined) return null;
  if (def.multiValued) {
    const list = Array.isArray(raw) ? raw : (n.note('multi_value_as_object', `'${where}' was not an array`), [raw]);
    return list
      .filter((v) => v !== null)
      .map((v, i) => normaliseSingle(def, v, `${where}[${i}]`, n))
      .filter((v) => v !== null && !lostItsValue(def, v));
  }
  if (Array.isArray(raw)) {
    if (raw.length === 0) return null;
    if (raw.length > 1) throw invalidValue(`'${where}' is single-valued but got ${raw.length} values.`);
    n.note('single_value_as_array', `'${where}' was a one-element array`);
    return normaliseSingle(def, raw[0], where, n);
  }
  return normaliseSingle(def, raw, where, n);
}

function normaliseSingle(def: AttributeDef, raw: unknown, where: string, n: Normalisations): ScimValue {
  switch (def.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && /^(true|false)$/i.test(raw.trim())) {
        n.note('boolean_string', `'${where}' was the string ${JSON.stringify(raw)}`);
        return raw.trim().toLowerCase() === 'true';
      }
      throw invalidValue(`'${where}' must be a boolean.`);
    case 'complex':
      return normaliseComplex(def, raw, where, n);
    default:
      if (raw === '') return emptyString(where, n);
      if (typeof raw === 'string') return storedText(def, raw);
      throw invalidValue(`'${where}' must be a string.`);
  }
}

function normaliseComplex(def: AttributeDef, raw: unknown, where: string, n: Normalisations): ScimObject | null {
  const valueDef = subAttribute(def, 'value');
  if (raw === '' && valueDef) return emptyString(where, n);
  if (typeof raw === 'string' && valueDef) {
    n.note('complex_as_string', `'${where}' was the string value ${JSON.stringify(raw).slice(0, 80)}`);
    return { value: storedText(valueDef, raw) };
  }
  if (!isObject(raw)) throw invalidValue(`'${where}' must be an object.`);
  const out: ScimObject = {};
  for (const [key, value] of Object.entries(raw)) {
    const sub = subAttribute(def, key);
    if (!sub) throw invalidValue(`Sub-attribute '${where}.${key}' is not supported.`);
    if (sub.mutability === 'readOnly') continue;
    out[sub.name] = normaliseValue(sub, value, `${where}.${sub.name}`, n);
  }
  return out;
}

function assign(doc: ScimObject, r: ResolvedAttribute, raw: unknown, where: string, n: Normalisations): void {
  if (r.attr.mutability === 'readOnly') return;
  const container = r.extension ? ((doc[r.schema.id] ??= {}) as ScimObject) : doc;
  if (!r.sub) {
    const value = normaliseValue(r.attr, raw, where, n);
    const prior = container[r.attr.name];
    container[r.attr.name] = isObject(prior) && isObject(value) ? { ...prior, ...value } : value;
    return;
  }
  if (r.attr.multiValued) throw invalidValue(`'${where}' names a sub-attribute of a multi-valued attribute.`);
  if (r.sub.mutability === 'readOnly') return;
  const parent = isObject(container[r.attr.name]) ? (container[r.attr.name] as ScimObject) : {};
  parent[r.sub.name] = normaliseValue(r.sub, raw, where, n);
  container[r.attr.name] = parent;
}

function emptyString(where: string, n: Normalisations): null {
  n.note('empty_string_unassigned', `'${where}' was ""`);
  return null;
}

/**
 * An element of a multi-valued attribute whose `value` was sent empty (`{"value": "", "type":
 * "work"}`): no email, no phone number, no member. Dropped, as the value it names is unassigned.
 */
export const lostItsValue = (def: AttributeDef, element: ScimValue): boolean =>
  isObject(element) && subAttribute(def, 'value') !== undefined && 'value' in element && element.value === null;

function checkSchemas(value: unknown, n: Normalisations): void {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalidValue("'schemas' must be an array of URIs.");
  for (const uri of value as string[]) {
    if (!KNOWN_URIS.has(uri.toLowerCase())) n.note('unknown_schema_uri', `'${uri}' ignored`);
  }
}

const isEmpty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
