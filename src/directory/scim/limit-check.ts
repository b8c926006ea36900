import { canonicalJson } from '../../lib/canonical-json.ts';
import type { AttributeDef } from './schema/attributes.ts';
import { base } from './schema/common.ts';
import type { ResourceSchema } from './schema/registry.ts';
import { compact, isObject, type ScimObject, type ScimValue } from './doc.ts';
import { invalidValue } from './errors.ts';
import { SCIM_LIMITS } from './limits.ts';

/**
 * Holds a resource document about to be stored (after POST/PUT normalisation or after a PATCH's
 * operations) to SCIM_LIMITS: 400 invalidValue naming the attribute and the limit. An attribute
 * equal to its `previous` value is not checked, so a resource stored before a limit existed
 * can still be changed elsewhere; changing that attribute must bring it within the limit.
 * Group members are not walked: their number is capped per request (checkMembersPerRequest)
 * and each value must be the id of a user of the directory.
 */
export function checkLimits(doc: ScimObject, resource: ResourceSchema, previous?: ScimObject): void {
  for (const attr of [...base, ...resource.core.attributes]) {
    checkAttribute(resource, attr, attr.name, doc[attr.name], previous?.[attr.name]);
  }
  for (const { schema } of resource.extensions) {
    const ext = doc[schema.id];
    if (!isObject(ext)) continue;
    const prev = previous?.[schema.id];
    for (const attr of schema.attributes) {
      checkAttribute(resource, attr, `${schema.id}:${attr.name}`, ext[attr.name], isObject(prev) ? prev[attr.name] : undefined);
    }
  }
}

/** The member values of one group request (all of a PATCH's operations together). */
export function checkMembersPerRequest(count: number): void {
  const max = SCIM_LIMITS.maxMembersPerRequest;
  if (count > max) throw invalidValue(`'members' carries ${count} values in this request; at most ${max} are accepted per request (send larger changes as several PATCH requests).`);
}

function checkAttribute(resource: ResourceSchema, attr: AttributeDef, path: string, value: ScimValue | undefined, previous: ScimValue | undefined): void {
  if (value === undefined || value === null || attr.mutability === 'readOnly' || (resource.name === 'Group' && attr.name === 'members')) return;
  if (previous !== undefined && same(value, previous)) return;
  if (attr.multiValued && Array.isArray(value)) {
    const max = SCIM_LIMITS.maxValuesPerAttribute;
    if (value.length > max) throw invalidValue(`'${path}' has ${value.length} values; at most ${max} are accepted.`);
    for (const v of value) checkSingle(resource, attr, path, v);
    return;
  }
  checkSingle(resource, attr, path, value);
}

function checkSingle(resource: ResourceSchema, def: AttributeDef, path: string, value: ScimValue | undefined): void {
  if (typeof value === 'string') {
    const max = lengthLimit(resource, def, path);
    const length = value.length > max ? codePoints(value) : 0;
    if (length > max) throw invalidValue(`'${path}' is ${length} characters long; at most ${max} are accepted.`);
  } else if (isObject(value) && def.subAttributes) {
    for (const sub of def.subAttributes) checkSingle(resource, sub, `${path}.${sub.name}`, value[sub.name]);
  }
}

function lengthLimit(resource: ResourceSchema, def: AttributeDef, path: string): number {
  const uniqueName = resource.name === 'User' ? 'userName' : 'displayName';
  if (path === uniqueName) return SCIM_LIMITS.maxNameLength;
  return def.type === 'reference' ? SCIM_LIMITS.maxReferenceLength : SCIM_LIMITS.maxStringLength;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const same = (a: ScimValue, b: ScimValue) => canonicalJson(compact({ v: a })) === canonicalJson(compact({ v: b }));
