import type { TupleKey } from '@openfga/sdk';
import type { CompiledModel, RelationInfo } from '../model/compile.ts';
import {
  containsForbiddenChars, isTypedWildcard, isUserset, isValidObject, isValidRelation, isValidUserString,
  parseUser, splitObject, tupleKeyToString,
} from '../model/keys.ts';
import type { TupleRow } from './tuple-row.ts';

/**
 * Tuple validation against a model, ported from OpenFGA's `internal/validation`:
 * `ValidateUserObjectRelation` (the request's user, object and relation exist), and
 * `ValidateTupleForRead` (type restrictions, tupleset restrictions, conditions). Tuples that
 * fail the read rules are invisible to every query, so a model change can hide stored tuples.
 */

/** Why a tuple key is not acceptable; `kind` decides the error code each API maps it to. */
export interface TupleProblem {
  kind: 'type_not_found' | 'relation_not_found' | 'invalid' | 'conditional';
  /** The cause alone (e.g. "type 'doc' not found"). */
  cause: string;
}

type Key = { object: string; relation: string; user: string };

/** ValidateUserObjectRelation: user, then object, then relation. */
export function userObjectRelationProblem(model: CompiledModel, tk: Key): TupleProblem | undefined {
  return userProblem(model, tk.user) ?? objectProblem(model, tk.object) ?? relationProblem(model, tk.object, tk.relation);
}

export function userProblem(model: CompiledModel, user: string): TupleProblem | undefined {
  if (!isValidUserString(user)) return { kind: 'invalid', cause: "the 'user' field is malformed" };
  const userset = isUserset(user);
  if (!isValidObject(user) && !userset) {
    return {
      kind: 'invalid',
      cause: "the 'user' field must be an object (e.g. document:1) or an 'object#relation' or a typed wildcard (e.g. group:*)",
    };
  }
  const parts = parseUser(user);
  if (!model.hasType(parts.type)) return { kind: 'type_not_found', cause: `type '${parts.type}' not found` };
  if (userset && !model.relation(parts.type, parts.relation)) {
    return { kind: 'relation_not_found', cause: `relation '${parts.type}#${parts.relation}' not found` };
  }
  return undefined;
}

/** ValidateObject then ValidateRelation (Expand has no user). */
export function objectRelationProblem(model: CompiledModel, object: string, relation: string): TupleProblem | undefined {
  return objectProblem(model, object) ?? relationProblem(model, object, relation);
}

function objectProblem(model: CompiledModel, object: string): TupleProblem | undefined {
  if (!isValidObject(object)) return { kind: 'invalid', cause: "invalid 'object' field format" };
  const [type, id] = splitObject(object);
  if (id === '*') return { kind: 'invalid', cause: "the 'object' field cannot reference a typed wildcard" };
  if (!model.hasType(type)) return { kind: 'type_not_found', cause: `type '${type}' not found` };
  return undefined;
}

function relationProblem(model: CompiledModel, object: string, relation: string): TupleProblem | undefined {
  if (!isValidRelation(relation)) return { kind: 'invalid', cause: "the 'relation' field is malformed" };
  const [type] = splitObject(object);
  if (!model.hasType(type)) return { kind: 'type_not_found', cause: `type '${type}' not found` };
  if (!model.relation(type, relation)) return { kind: 'relation_not_found', cause: `relation '${type}#${relation}' not found` };
  return undefined;
}

/** ValidateTupleForWrite = ValidateUserObjectRelation + ValidateTupleForRead, for a tuple key. */
export function writeProblem(model: CompiledModel, tk: TupleKey): TupleProblem | undefined {
  const basic = userObjectRelationProblem(model, tk);
  if (basic) return { kind: 'invalid', cause: basic.cause };
  const [type] = splitObject(tk.object);
  const info = model.relation(type, tk.relation) as RelationInfo;
  const user = parseUser(tk.user);
  if (info.isTupleset) {
    if (isTypedWildcard(tk.user)) return { kind: 'invalid', cause: `unexpected wildcard relationship with tupleset relation '${type}#${tk.relation}'` };
    if (!isValidObject(tk.user)) return { kind: 'invalid', cause: `unexpected user '${tk.user}' with tupleset relation '${type}#${tk.relation}'` };
  }
  const restriction = restrictionProblem(info, user.type, user.relation, isTypedWildcard(tk.user), tk.user);
  if (restriction) return { kind: 'invalid', cause: restriction };
  return conditionProblem(model, info, user.type, user.relation, isTypedWildcard(tk.user), tk.condition?.name ?? '', tk.condition?.context);
}

function restrictionProblem(info: RelationInfo, userType: string, userRelation: string, wildcard: boolean, user: string): string | undefined {
  const where = `${info.type}#${info.name}`;
  if (userRelation !== '') {
    return info.refKeys.has(`${userType}#${userRelation}`) ? undefined : `'${userType}#${userRelation}' is not an allowed type restriction for '${where}'`;
  }
  if (wildcard) return info.refKeys.has(`${userType}:*`) ? undefined : `the typed wildcard '${user}' is not an allowed type restriction for '${where}'`;
  return info.refKeys.has(userType) ? undefined : `type '${userType}' is not an allowed type restriction for '${where}'`;
}

function conditionProblem(
  model: CompiledModel,
  info: RelationInfo,
  userType: string,
  userRelation: string,
  wildcard: boolean,
  name: string,
  context: object | undefined,
): TupleProblem | undefined {
  if (name === '') {
    return noConditionAllowed(info, userType, userRelation, wildcard) ? undefined : { kind: 'conditional', cause: 'condition is missing' };
  }
  if (containsForbiddenChars(name)) return { kind: 'conditional', cause: 'condition name contains forbidden characters' };
  const condition = model.conditions.get(name);
  if (!condition) return { kind: 'conditional', cause: 'undefined condition' };
  if (!info.conditionsByType.get(userType)?.has(name)) return { kind: 'conditional', cause: 'invalid condition for type restriction' };
  if (context !== undefined && context !== null) {
    if (typeof context !== 'object' || Array.isArray(context)) return { kind: 'conditional', cause: 'condition context must be an object' };
    try {
      condition.typedParameters(context as Record<string, unknown>, true);
    } catch (err) {
      return { kind: 'conditional', cause: (err as Error).message };
    }
  }
  return undefined;
}

/** OpenFGA's loop in `validateCondition` for a tuple without a condition, reduced to set lookups. */
function noConditionAllowed(info: RelationInfo, userType: string, userRelation: string, wildcard: boolean): boolean {
  if (wildcard) return info.noConditionWildcard.has(userType);
  if (userRelation !== '') return info.noConditionUserset.has(`${userType}#${userRelation}`) || info.noConditionPlain.has(userType);
  return info.noConditionPlain.has(userType);
}

/** "Invalid tuple 'document:1#viewer@user:anne (condition c)'. Reason: ..." */
export function describeProblem(tk: TupleKey, problem: TupleProblem): string {
  const suffix = problem.kind === 'conditional' && tk.condition?.name ? ` (condition ${tk.condition.name})` : '';
  return `Invalid tuple '${tupleKeyToString(tk)}${suffix}'. Reason: ${problem.cause}`;
}

/**
 * ValidateTupleForRead for a stored or contextual tuple: false means the tuple does not fit the
 * model the query runs against and is skipped. Context checks are memoised per model.
 */
export function isReadable(model: CompiledModel, info: RelationInfo, row: TupleRow, memo: Map<string, boolean>): boolean {
  const wildcard = row.user_id === '*' && row.user_relation === '';
  if (info.isTupleset && (wildcard || row.user_relation !== '')) return false;
  const key = row.user_relation !== '' ? `${row.user_type}#${row.user_relation}` : wildcard ? `${row.user_type}:*` : row.user_type;
  if (!info.refKeys.has(key)) return false;
  if (row.condition_name === '') return noConditionAllowed(info, row.user_type, row.user_relation, wildcard);
  if (!info.conditionsByType.get(row.user_type)?.has(row.condition_name)) return false;
  if (row.condition_context === null) return model.conditions.has(row.condition_name);
  const memoKey = `${row.condition_name}\u0000${row.condition_context}`;
  let ok = memo.get(memoKey);
  if (ok === undefined) {
    const problem = conditionProblem(model, info, row.user_type, row.user_relation, wildcard, row.condition_name, JSON.parse(row.condition_context) as object);
    ok = problem === undefined;
    if (memo.size > 10_000) memo.clear();
    memo.set(memoKey, ok);
  }
  return ok;
}
