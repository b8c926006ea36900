import type { RelationReference, TypeDefinition, Userset } from '@openfga/sdk';
import { fgaError } from '../errors.ts';
import { CompiledCondition } from '../conditions/condition.ts';
import type { ModelBody } from './normalize.ts';

/**
 * The semantic rules OpenFGA applies when a model is written (`typesystem.NewAndValidate`),
 * with its messages, rejected as `invalid_authorization_model`: supported schema, no duplicate
 * types, no reserved names, rewrites that reference defined relations, tupleset relations that
 * are direct, type restrictions that exist, every relation reachable from some concrete type
 * (entrypoints), no computed-relation cycles, and conditions that compile to a bool.
 */
export const MAX_TYPES_PER_MODEL = 100;

type Relations = Map<string, Map<string, { rewrite: Userset; refs: RelationReference[] }>>;

const invalidModel = (message: string) => fgaError('invalid_authorization_model', message);
const invalidRelation = (type: string, relation: string, cause: string) =>
  invalidModel(`the definition of relation '${relation}' in object type '${type}' is invalid: ${cause}`);
const refString = (type: string, relation?: string) => (relation ? `${type}#${relation}` : type);

export function validateModel(model: ModelBody): void {
  if (model.type_definitions.length > MAX_TYPES_PER_MODEL) {
    throw fgaError('exceeded_entity_limit', `The number of type definitions in an authorization model exceeds the allowed limit of ${MAX_TYPES_PER_MODEL}`);
  }
  if (model.schema_version !== '1.1' && model.schema_version !== '1.2') throw invalidModel('invalid schema version');
  const seen = new Set<string>();
  for (const def of model.type_definitions) {
    if (seen.has(def.type)) throw invalidModel('an authorization model cannot contain duplicate types');
    seen.add(def.type);
  }
  const relations = indexRelations(model.type_definitions);
  validateNames(relations);
  const conditions = new Set(Object.keys(model.conditions ?? {}));
  for (const type of [...relations.keys()].sort()) {
    const defs = relations.get(type) as Map<string, { rewrite: Userset; refs: RelationReference[] }>;
    for (const relation of [...defs.keys()].sort()) validateRelation(relations, conditions, type, relation);
  }
  for (const [key, condition] of Object.entries(model.conditions ?? {})) {
    if (key !== condition.name) throw invalidModel(`condition key '${key}' does not match condition name '${condition.name}'`);
    try {
      CompiledCondition.compile(condition);
    } catch (err) {
      throw invalidModel((err as Error).message);
    }
  }
}

function indexRelations(defs: TypeDefinition[]): Relations {
  const out: Relations = new Map();
  for (const def of defs) {
    const rels = new Map<string, { rewrite: Userset; refs: RelationReference[] }>();
    for (const [name, rewrite] of Object.entries(def.relations ?? {})) {
      rels.set(name, { rewrite, refs: def.metadata?.relations?.[name]?.directly_related_user_types ?? [] });
    }
    out.set(def.type, rels);
  }
  return out;
}

function validateNames(relations: Relations): void {
  for (const [type, rels] of relations) {
    if (type === 'self' || type === 'this') throw invalidModel(`the definition of type '${type}' is invalid`);
    for (const relation of rels.keys()) {
      if (relation === 'self' || relation === 'this') throw invalidRelation(type, relation, 'self and this are reserved keywords');
    }
  }
}

function isTupleset(relations: Relations, type: string, relation: string): boolean {
  for (const { rewrite } of relations.get(type)?.values() ?? []) {
    if (ttus(rewrite).some((t) => t.tupleset === relation)) return true;
  }
  return false;
}

function ttus(u: Userset): { tupleset: string; computed: string }[] {
  if (u.tupleToUserset) return [{ tupleset: u.tupleToUserset.tupleset.relation as string, computed: u.tupleToUserset.computedUserset.relation as string }];
  const children = u.union?.child ?? u.intersection?.child ?? (u.difference ? [u.difference.base, u.difference.subtract] : []);
  return children.flatMap(ttus);
}

function containsThis(u: Userset): boolean {
  if (u.this) return true;
  const children = u.union?.child ?? u.intersection?.child ?? (u.difference ? [u.difference.base, u.difference.subtract] : []);
  return children.some(containsThis);
}

function validateRelation(relations: Relations, conditions: Set<string>, type: string, relation: string): void {
  const def = relations.get(type)?.get(relation) as { rewrite: Userset; refs: RelationReference[] };
  validateRewrite(relations, type, relation, def.rewrite);
  validateTypeRestrictions(relations, conditions, type, relation, def);
  const [entry, loop] = hasEntrypoints(relations, type, relation, def.rewrite, new Map());
  if (!entry) throw invalidRelation(type, relation, loop ? 'potential loop' : 'no entrypoints defined');
  if (hasCycle(relations, type, relation, def.rewrite, new Set())) {
    throw invalidRelation(type, relation, 'an authorization model cannot contain a cycle');
  }
}

function validateRewrite(relations: Relations, type: string, relation: string, u: Userset): void {
  const rels = relations.get(type) as Map<string, { rewrite: Userset; refs: RelationReference[] }>;
  if (u.computedUserset) {
    const target = u.computedUserset.relation as string;
    if (target === relation) throw invalidRelation(type, relation, 'invalid userset rewrite definition');
    if (!rels.has(target)) throw invalidModel(`'${type}#${target}' relation is undefined`);
  } else if (u.tupleToUserset) {
    const tupleset = u.tupleToUserset.tupleset.relation as string;
    const computed = u.tupleToUserset.computedUserset.relation as string;
    const ts = rels.get(tupleset);
    if (!ts) throw invalidModel(`'${type}#${tupleset}' relation is undefined`);
    if (!ts.rewrite.this) {
      throw invalidModel(`the '${type}#${tupleset}' relation is referenced in at least one tupleset and thus must be a direct relation`);
    }
    if (!ts.refs.some((r) => relations.get(r.type)?.has(computed))) {
      const listed = ts.refs.map((r) => `type:"${r.type}"`).join(' ');
      throw invalidModel(`undefined relation: ${computed} does not appear as a relation in any of the directly related user types [${listed}]`);
    }
  } else {
    const children = u.union?.child ?? u.intersection?.child ?? (u.difference ? [u.difference.base, u.difference.subtract] : []);
    for (const child of children) validateRewrite(relations, type, relation, child);
  }
}

function validateTypeRestrictions(
  relations: Relations,
  conditions: Set<string>,
  type: string,
  relation: string,
  def: { rewrite: Userset; refs: RelationReference[] },
): void {
  const assignable = containsThis(def.rewrite);
  if (assignable && def.refs.length === 0) {
    throw invalidModel(`the assignable relation '${relation}' in object type '${type}' must contain at least one relation type`);
  }
  if (!assignable && def.refs.length !== 0) {
    throw invalidModel(`the non-assignable relation '${relation}' in object type '${type}' should not contain a relation type`);
  }
  const invalidType = (r: RelationReference) =>
    invalidModel(`the relation type '${refString(r.type, r.relation)}' on '${relation}' in object type '${type}' is not valid`);
  for (const ref of def.refs) {
    if (!relations.has(ref.type)) throw invalidType(ref);
    if (ref.relation !== undefined || ref.wildcard !== undefined) {
      if (isTupleset(relations, type, relation)) throw invalidType(ref);
      if (ref.relation && !relations.get(ref.type)?.has(ref.relation)) throw invalidType(ref);
    }
    if (ref.condition && !conditions.has(ref.condition)) {
      throw invalidModel(`condition ${ref.condition} is undefined for relation ${relation}`);
    }
  }
}

type Visited = Map<string, Map<string, boolean>>;

function cloneVisited(v: Visited): Visited {
  return new Map([...v].map(([k, m]) => [k, m]));
}

/** OpenFGA's `hasEntrypoints`: [has an entrypoint, the failure came from a loop]. */
function hasEntrypoints(relations: Relations, type: string, relation: string, u: Userset, visited: Visited): [boolean, boolean] {
  const v = cloneVisited(visited);
  const forType = v.get(type);
  if (forType) forType.set(relation, false);
  else v.set(type, new Map([[relation, false]]));
  const def = relations.get(type)?.get(relation);
  if (!def) throw invalidModel(`undefined type definition for '${type}#${relation}'`);

  if (u.this) {
    for (const ref of def.refs) {
      if (!ref.relation || ref.wildcard !== undefined) {
        v.get(type)?.set(relation, true);
        return [true, false];
      }
      const target = relations.get(ref.type)?.get(ref.relation);
      if (!target) throw invalidModel(`undefined type definition for '${ref.type}#${ref.relation}'`);
      if (v.get(ref.type)?.has(ref.relation)) continue;
      if (hasEntrypoints(relations, ref.type, ref.relation, target.rewrite, v)[0]) return [true, false];
    }
    return [false, false];
  }
  if (u.computedUserset) {
    const name = u.computedUserset.relation as string;
    const target = relations.get(type)?.get(name);
    if (!target) throw invalidModel(`undefined type definition for '${type}#${name}'`);
    const known = v.get(type)?.get(name);
    if (known !== undefined) return [known, true];
    return hasEntrypoints(relations, type, name, target.rewrite, v);
  }
  if (u.tupleToUserset) {
    const computed = u.tupleToUserset.computedUserset.relation as string;
    const tupleset = relations.get(type)?.get(u.tupleToUserset.tupleset.relation as string);
    if (!tupleset) throw invalidModel(`undefined type definition for '${type}#${u.tupleToUserset.tupleset.relation}'`);
    for (const ref of tupleset.refs) {
      const target = relations.get(ref.type)?.get(computed);
      if (!target) continue;
      const known = v.get(ref.type)?.get(computed);
      if (known !== undefined) {
        if (known) return [true, false];
        continue;
      }
      if (hasEntrypoints(relations, ref.type, computed, target.rewrite, v)[0]) return [true, false];
    }
    return [false, false];
  }
  if (u.union) {
    if (u.union.child.length < 2) throw invalidModel(`invalid relation: '${type}#${relation}' as union has less than 2 children`);
    let loop = false;
    for (const child of u.union.child) {
      const [entry, childLoop] = hasEntrypoints(relations, type, relation, child, visited);
      if (entry) return [true, false];
      loop ||= childLoop;
    }
    return [false, loop];
  }
  if (u.intersection) {
    if (u.intersection.child.length < 2) throw invalidModel(`invalid relation: '${type}#${relation}' as intersection has less than 2 children`);
    for (const child of u.intersection.child) {
      const [entry, childLoop] = hasEntrypoints(relations, type, relation, child, visited);
      if (!entry) return [false, childLoop];
    }
    return [true, false];
  }
  const diff = u.difference as { base: Userset; subtract: Userset };
  for (const part of [diff.base, diff.subtract]) {
    const [entry, loop] = hasEntrypoints(relations, type, relation, part, visited);
    if (!entry) return [false, loop];
  }
  return [true, false];
}

/** OpenFGA's `hasCycle`: a relation that rewrites to itself through computed relations only. */
function hasCycle(relations: Relations, type: string, relation: string, u: Userset, visited: Set<string>): boolean {
  visited.add(`${type}#${relation}`);
  const copy = new Set(visited);
  if (u.this || u.tupleToUserset) return false;
  if (u.computedUserset) {
    const next = u.computedUserset.relation as string;
    if (visited.has(`${type}#${next}`)) return true;
    const target = relations.get(type)?.get(next);
    if (!target) throw invalidModel(`'${type}#${next}' relation is undefined`);
    return hasCycle(relations, type, next, target.rewrite, copy);
  }
  const children = u.union?.child ?? u.intersection?.child ?? (u.difference ? [u.difference.base, u.difference.subtract] : []);
  return children.some((child) => hasCycle(relations, type, relation, child, copy));
}
