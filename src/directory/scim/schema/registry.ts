import { base } from './common.ts';
import { subAttribute, type AttributeDef } from './attributes.ts';
import { ENTERPRISE_ATTRIBUTES } from './enterprise-schema.ts';
import { GROUP_ATTRIBUTES } from './group-schema.ts';
import { USER_ATTRIBUTES } from './user-schema.ts';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './urns.ts';

export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttributeDef[];
}

export interface ResourceSchema {
  name: 'User' | 'Group';
  endpoint: '/Users' | '/Groups';
  description: string;
  core: SchemaDef;
  extensions: { schema: SchemaDef; required: boolean }[];
}

export const USER_CORE: SchemaDef = { id: USER_SCHEMA, name: 'User', description: 'User Account', attributes: USER_ATTRIBUTES };
export const ENTERPRISE_USER: SchemaDef = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: ENTERPRISE_ATTRIBUTES,
};
export const GROUP_CORE: SchemaDef = { id: GROUP_SCHEMA, name: 'Group', description: 'Group', attributes: GROUP_ATTRIBUTES };

export const USER_RESOURCE: ResourceSchema = {
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  core: USER_CORE,
  extensions: [{ schema: ENTERPRISE_USER, required: false }],
};

export const GROUP_RESOURCE: ResourceSchema = {
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  core: GROUP_CORE,
  extensions: [],
};

export const RESOURCES = [USER_RESOURCE, GROUP_RESOURCE] as const;
export const ALL_SCHEMAS = [USER_CORE, GROUP_CORE, ENTERPRISE_USER] as const;

/** Where an attribute path landed: which schema, which attribute and optionally which sub-attribute. */
export interface ResolvedAttribute {
  /** The schema the attribute belongs to (core attributes and id/externalId/meta: the core schema). */
  schema: SchemaDef;
  /** True when the attribute lives in an extension (its values sit under the extension's URN key). */
  extension: boolean;
  attr: AttributeDef;
  sub?: AttributeDef;
  /** An extension attribute named without its schema URN (e.g. Entra's `manager`). */
  unqualified: boolean;
}

/** The schema a (possibly URN-prefixed) path starts with, and the rest of the path. */
export function splitSchemaPrefix(resource: ResourceSchema, path: string): { schema?: SchemaDef; rest: string } {
  const lower = path.toLowerCase();
  for (const s of [resource.core, ...resource.extensions.map((e) => e.schema)]) {
    const id = s.id.toLowerCase();
    if (lower === id) return { schema: s, rest: '' };
    if (lower.startsWith(`${id}:`)) return { schema: s, rest: path.slice(id.length + 1) };
  }
  return { rest: path };
}

export function extensionSchema(resource: ResourceSchema, urn: string): SchemaDef | undefined {
  const lower = urn.toLowerCase();
  return resource.extensions.find((e) => e.schema.id.toLowerCase() === lower)?.schema;
}

/**
 * Resolves `attr`, `attr.sub`, `urn:…:attr` and `urn:…:attr.sub` case-insensitively. Common
 * attributes (id, externalId, meta) resolve against the core schema. Returns undefined for an
 * attribute this service does not know.
 */
export function resolveAttribute(resource: ResourceSchema, path: string): ResolvedAttribute | undefined {
  const { schema, rest } = splitSchemaPrefix(resource, path);
  if (rest === '') return undefined;
  const dot = rest.indexOf('.');
  const attrName = dot < 0 ? rest : rest.slice(0, dot);
  const subName = dot < 0 ? undefined : rest.slice(dot + 1);
  const candidates = schema ? [schema] : [resource.core, ...resource.extensions.map((e) => e.schema)];
  for (const s of candidates) {
    const attr = findIn(s === resource.core ? [...base, ...s.attributes] : s.attributes, attrName);
    if (!attr) continue;
    const sub = subName === undefined ? undefined : subAttribute(attr, subName);
    if (subName !== undefined && !sub) return undefined;
    const extension = s !== resource.core;
    return { schema: s, extension, attr, sub, unqualified: extension && !schema };
  }
  return undefined;
}

function findIn(attrs: AttributeDef[], name: string): AttributeDef | undefined {
  const lower = name.toLowerCase();
  return attrs.find((a) => a.name.toLowerCase() === lower);
}
