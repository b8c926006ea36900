import type { AuthorizationModel, Condition, ConditionParamTypeRef, RelationReference, TypeDefinition, Userset } from '@openfga/sdk';
import { fgaError } from '../errors.ts';
import { re2Pattern } from './keys.ts';

/**
 * Brings a model body written through the API (snake_case or the camelCase OpenFGA also accepts
 * for `computed_userset` / `tuple_to_userset`) into the one canonical JSON form Portcullis stores
 * and returns, rejecting shapes that are not an authorization model with OpenFGA's codes.
 * Semantic rules (undefined relations, cycles, entrypoints, conditions) are validate.ts's job.
 */
export type ModelBody = Omit<AuthorizationModel, 'id'>;

const NAME = re2Pattern('^[^:#@\\s]{1,50}$');
const TYPE_NAME = re2Pattern('^[^:#@\\s]{1,254}$');
const PARAM_TYPES = new Set([
  'TYPE_NAME_ANY', 'TYPE_NAME_BOOL', 'TYPE_NAME_STRING', 'TYPE_NAME_INT', 'TYPE_NAME_UINT', 'TYPE_NAME_DOUBLE',
  'TYPE_NAME_DURATION', 'TYPE_NAME_TIMESTAMP', 'TYPE_NAME_MAP', 'TYPE_NAME_LIST', 'TYPE_NAME_IPADDRESS',
]);

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const invalid = (message: string) => fgaError('validation_error', message);

function field(o: Json, ...names: string[]): unknown {
  for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
  return undefined;
}

export function normalizeModelBody(input: unknown): ModelBody {
  if (!isObject(input)) throw invalid('invalid WriteAuthorizationModelRequest: body must be an object');
  const schema = field(input, 'schema_version', 'schemaVersion') ?? '1.1';
  if (typeof schema !== 'string' || !['1.0', '1.1', '1.2'].includes(schema)) {
    throw invalid('invalid WriteAuthorizationModelRequest.SchemaVersion: value must be in list [1.0 1.1 1.2]');
  }
  const defs = field(input, 'type_definitions', 'typeDefinitions');
  if (!Array.isArray(defs) || defs.length === 0) {
    throw fgaError('type_definitions_too_few_items', 'invalid WriteAuthorizationModelRequest.TypeDefinitions: value must contain at least 1 item(s)');
  }
  const conditionsIn = field(input, 'conditions') ?? {};
  if (!isObject(conditionsIn)) throw invalid('invalid WriteAuthorizationModelRequest.Conditions: must be an object');
  const conditions: Record<string, Condition> = {};
  for (const [key, c] of Object.entries(conditionsIn)) conditions[key] = normalizeCondition(key, c);
  return { schema_version: schema, type_definitions: defs.map(normalizeTypeDefinition), conditions };
}

function normalizeTypeDefinition(input: unknown): TypeDefinition {
  if (!isObject(input)) throw invalid('invalid TypeDefinition: must be an object');
  const type = input.type;
  if (typeof type !== 'string' || !TYPE_NAME.test(type)) {
    throw fgaError('type_invalid_pattern', `invalid TypeDefinition.Type: value does not match regex pattern "^[^:#@\\s]{1,254}$"`);
  }
  const relationsIn = field(input, 'relations') ?? {};
  if (!isObject(relationsIn)) throw invalid(`invalid TypeDefinition.Relations for type '${type}'`);
  const relations: Record<string, Userset> = {};
  for (const [name, rewrite] of Object.entries(relationsIn)) {
    if (!NAME.test(name)) throw fgaError('relations_invalid_pattern', `invalid TypeDefinition.Relations["${name}"]: value does not match regex pattern "^[^:#@\\s]{1,50}$"`);
    relations[name] = normalizeUserset(rewrite, `${type}#${name}`);
  }
  const metadataIn = field(input, 'metadata');
  if (metadataIn === undefined) return { type, relations, metadata: undefined };
  if (!isObject(metadataIn)) throw invalid(`invalid TypeDefinition.Metadata for type '${type}'`);
  const relMetaIn = field(metadataIn, 'relations') ?? {};
  if (!isObject(relMetaIn)) throw invalid(`invalid Metadata.Relations for type '${type}'`);
  const relMeta: Record<string, { directly_related_user_types: RelationReference[] }> = {};
  for (const [name, meta] of Object.entries(relMetaIn)) {
    if (!isObject(meta)) throw invalid(`invalid RelationMetadata for '${type}#${name}'`);
    const refs = field(meta, 'directly_related_user_types', 'directlyRelatedUserTypes') ?? [];
    if (!Array.isArray(refs)) throw invalid(`invalid RelationMetadata.DirectlyRelatedUserTypes for '${type}#${name}'`);
    relMeta[name] = { directly_related_user_types: refs.map((r) => normalizeReference(r, `${type}#${name}`)) };
  }
  const metadata: TypeDefinition['metadata'] = { relations: relMeta };
  if (typeof metadataIn.module === 'string' && metadataIn.module !== '') metadata.module = metadataIn.module;
  return { type, relations, metadata };
}

function normalizeReference(input: unknown, where: string): RelationReference {
  if (!isObject(input) || typeof input.type !== 'string' || !TYPE_NAME.test(input.type)) {
    throw invalid(`invalid RelationReference in '${where}': type does not match regex pattern "^[^:#@\\s]{1,254}$"`);
  }
  const ref: RelationReference = { type: input.type };
  const relation = field(input, 'relation');
  const wildcard = field(input, 'wildcard');
  if (relation !== undefined && relation !== '') {
    if (typeof relation !== 'string' || !NAME.test(relation)) throw invalid(`invalid RelationReference.Relation in '${where}'`);
    ref.relation = relation;
  }
  if (wildcard !== undefined) {
    if (ref.relation !== undefined) throw invalid(`invalid RelationReference in '${where}': relation and wildcard are exclusive`);
    ref.wildcard = {};
  }
  const condition = field(input, 'condition');
  if (condition !== undefined && condition !== '') {
    if (typeof condition !== 'string' || !NAME.test(condition)) throw invalid(`invalid RelationReference.Condition in '${where}'`);
    ref.condition = condition;
  }
  return ref;
}

function relationOf(input: unknown, where: string): { relation: string } {
  if (!isObject(input) || typeof input.relation !== 'string' || input.relation === '') {
    throw invalid(`invalid ObjectRelation in '${where}': relation is required`);
  }
  return { relation: input.relation };
}

function normalizeUserset(input: unknown, where: string): Userset {
  if (!isObject(input)) throw invalid(`invalid Userset for '${where}': must be an object`);
  const kinds = ['this', 'computedUserset', 'computed_userset', 'tupleToUserset', 'tuple_to_userset', 'union', 'intersection', 'difference']
    .filter((k) => input[k] !== undefined && input[k] !== null);
  if (kinds.length !== 1) throw invalid(`invalid Userset for '${where}': exactly one rewrite is required`);
  const kind = kinds[0] as string;
  const value = input[kind];
  switch (kind) {
    case 'this':
      return { this: {} };
    case 'computedUserset':
    case 'computed_userset':
      return { computedUserset: relationOf(value, where) };
    case 'tupleToUserset':
    case 'tuple_to_userset': {
      if (!isObject(value)) throw invalid(`invalid TupleToUserset for '${where}'`);
      return {
        tupleToUserset: {
          tupleset: relationOf(field(value, 'tupleset'), where),
          computedUserset: relationOf(field(value, 'computedUserset', 'computed_userset'), where),
        },
      };
    }
    case 'union':
    case 'intersection': {
      const child = isObject(value) ? value.child : undefined;
      if (!Array.isArray(child) || child.length === 0) throw invalid(`invalid Usersets for '${where}': child must contain at least 1 item(s)`);
      const children = child.map((c) => normalizeUserset(c, where));
      return kind === 'union' ? { union: { child: children } } : { intersection: { child: children } };
    }
    default: {
      if (!isObject(value) || value.base === undefined) throw fgaError('difference_base_missing_value', `invalid Difference.Base for '${where}': value is required`);
      if (value.subtract === undefined) throw fgaError('subtract_base_missing_value', `invalid Difference.Subtract for '${where}': value is required`);
      return { difference: { base: normalizeUserset(value.base, where), subtract: normalizeUserset(value.subtract, where) } };
    }
  }
}

function normalizeCondition(key: string, input: unknown): Condition {
  if (!NAME.test(key)) throw invalid(`invalid AuthorizationModel.Conditions["${key}"]: value does not match regex pattern "^[^:#@\\s]{1,50}$"`);
  if (!isObject(input)) throw invalid(`invalid Condition '${key}': must be an object`);
  const name = input.name;
  const expression = input.expression;
  if (typeof name !== 'string' || !NAME.test(name)) throw invalid(`invalid Condition.Name for '${key}'`);
  if (typeof expression !== 'string' || expression.length === 0 || expression.length > 512) {
    throw invalid(`invalid Condition.Expression for '${key}': value length must be between 1 and 512 bytes`);
  }
  const paramsIn = field(input, 'parameters') ?? {};
  if (!isObject(paramsIn)) throw invalid(`invalid Condition.Parameters for '${key}'`);
  const parameters: Record<string, ConditionParamTypeRef> = {};
  for (const [p, t] of Object.entries(paramsIn)) {
    if (!NAME.test(p)) throw invalid(`invalid Condition.Parameters["${p}"] for '${key}'`);
    parameters[p] = normalizeParamType(t, `${key}.${p}`);
  }
  return { name, expression, parameters };
}

function normalizeParamType(input: unknown, where: string): ConditionParamTypeRef {
  if (!isObject(input)) throw fgaError('param_missing_value', `invalid ConditionParamTypeRef for '${where}': value is required`);
  const typeName = field(input, 'type_name', 'typeName');
  if (typeof typeName !== 'string' || !PARAM_TYPES.has(typeName)) {
    throw invalid(`invalid ConditionParamTypeRef.TypeName for '${where}': value must be one of the defined enum values`);
  }
  const generics = field(input, 'generic_types', 'genericTypes') ?? [];
  if (!Array.isArray(generics)) throw invalid(`invalid ConditionParamTypeRef.GenericTypes for '${where}'`);
  const ref = { type_name: typeName } as ConditionParamTypeRef;
  if (generics.length > 0) ref.generic_types = generics.map((g) => normalizeParamType(g, where));
  return ref;
}
