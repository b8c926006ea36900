import type { ListObjectsRequest } from '@openfga/sdk';
import type { ListResult } from '../engine.ts';
import { fgaError, validationError, type OpenFgaError } from '../errors.ts';
import { parseUser, type UserParts } from '../model/keys.ts';
import { reverseIndexOf } from '../model/reverse-index.ts';
import { Checker } from './check.ts';
import type { EmbeddedAuthzEngine } from './engine.ts';
import { EvalContext, isEvalError, MAX_RESOLUTION_DEPTH, resolutionTooComplex } from './eval-context.ts';
import { assertUserBytes, contextualRows, MAX_USER_BYTES, requestContext, requireRelation, requireType, requireUser } from './requests.ts';
import { userProblem } from './tuple-validation.ts';

/** ListObjects with OpenFGA's validation order and codes; always the complete answer. */
export function runListObjects(engine: EmbeddedAuthzEngine, storeId: string, body: ListObjectsRequest): ListResult<{ objects: string[] }> {
  const type = requireType(body?.type, 'ListObjectsRequest.Type');
  const relation = requireRelation(body.relation, 'ListObjectsRequest.Relation');
  assertUserBytes(body.user, `invalid ListObjectsRequest.User: value length must be between 1 and ${MAX_USER_BYTES} bytes, inclusive`);
  const user = requireUser(body.user, 'ListObjectsRequest.User');
  const model = engine.model(storeId, body.authorization_model_id);
  const contextual = contextualRows(model, body.contextual_tuples?.tuple_keys, 'list');
  if (!model.hasType(type)) throw fgaError('type_not_found', `type '${type}' not found`);
  if (!model.relation(type, relation)) throw fgaError('relation_not_found', `relation '${type}#${relation}' not found`);
  const problem = userProblem(model, user);
  if (problem) throw validationError(`invalid 'user' value: ${problem.cause}`);
  const ctx = new EvalContext(model, engine.reader(storeId, contextual), requestContext(body.context));
  return { objects: listObjects(ctx, type, relation, parseUser(user)) };
}

interface Fact {
  type: string;
  id: string;
  relation: string;
  definite: boolean;
  depth: number;
}

/**
 * Every object of `type` the user has `relation` on. Walks from the user outwards over the
 * tuples (the `authz_tuples_by_user` index): each fact "the user is in X:id#r" leads, through the
 * model read backwards, to the usersets and relations that contain X:id#r, pruned to those
 * that can reach `type#relation`. Objects reached only through an intersection or an
 * exclusion's base are confirmed with a full Check. A tuple whose condition cannot be evaluated,
 * or a path deeper than the resolution limit, fails the request (as OpenFGA's ListObjects does)
 * rather than giving a partial list.
 */
export function listObjects(ctx: EvalContext, type: string, relation: string, user: UserParts): string[] {
  const { model } = ctx;
  const index = reverseIndexOf(model);
  const reaching = index.reaching(`${type}#${relation}`);
  const facts = new Map<string, Fact>();
  const queue: Fact[] = [];
  const definite = new Set<string>();
  const maybe = new Set<string>();
  let conditionError: OpenFgaError | undefined;

  const add = (t: string, id: string, r: string, isDefinite: boolean, depth: number): void => {
    if (!reaching.has(`${t}#${r}`)) return;
    if (depth >= MAX_RESOLUTION_DEPTH) throw resolutionTooComplex();
    const key = `${t}:${id}#${r}`;
    const known = facts.get(key);
    if (known && (known.definite || !isDefinite) && known.depth <= depth) return;
    const fact = { type: t, id, relation: r, definite: isDefinite || (known?.definite ?? false), depth: Math.min(depth, known?.depth ?? depth) };
    facts.set(key, fact);
    queue.push(fact);
    if (t === type && r === relation) (fact.definite ? definite : maybe).add(`${t}:${id}`);
  };

  /** Objects of `t` with a readable `t:?#r@user` tuple whose condition holds. */
  const objectsFor = (t: string, r: string, userType: string, userId: string, userRelation: string): string[] => {
    const info = model.relation(t, r);
    if (!info) return [];
    const out: string[] = [];
    for (const row of ctx.tuples.readByUser(t, r, userType, userId, userRelation)) {
      if (!ctx.readable(info, row)) continue;
      try {
        if (ctx.holds(row)) out.push(row.object_id);
      } catch (e) {
        if (!isEvalError(e)) throw e;
        conditionError ??= e;
      }
    }
    return out;
  };

  if (user.relation !== '') {
    add(user.type, user.id, user.relation, true, 0);
  } else {
    const seeds: [string, string][] = user.id === '*' ? [[`${user.type}:*`, '*']] : [[user.type, user.id], [`${user.type}:*`, '*']];
    for (const [key, userId] of seeds) {
      for (const edge of index.direct.get(key) ?? []) {
        if (!reaching.has(`${edge.type}#${edge.relation}`)) continue;
        for (const id of objectsFor(edge.type, edge.relation, user.type, userId, '')) add(edge.type, id, edge.relation, edge.definite, 0);
      }
    }
  }

  for (let i = 0; i < queue.length; i++) {
    const fact = queue[i] as Fact;
    if (facts.get(`${fact.type}:${fact.id}#${fact.relation}`) !== fact) continue;
    const source = `${fact.type}#${fact.relation}`;
    for (const edge of index.direct.get(source) ?? []) {
      if (!reaching.has(`${edge.type}#${edge.relation}`)) continue;
      for (const id of objectsFor(edge.type, edge.relation, fact.type, fact.id, fact.relation)) {
        add(edge.type, id, edge.relation, fact.definite && edge.definite, fact.depth + 1);
      }
    }
    for (const edge of index.computed.get(source) ?? []) add(fact.type, fact.id, edge.relation, fact.definite && edge.definite, fact.depth);
    for (const edge of index.ttu.get(source) ?? []) {
      if (!reaching.has(`${edge.type}#${edge.relation}`)) continue;
      for (const id of objectsFor(edge.type, edge.tupleset, fact.type, fact.id, '')) {
        add(edge.type, id, edge.relation, fact.definite && edge.definite, fact.depth + 1);
      }
    }
  }
  if (conditionError) throw conditionError;

  const objects = [...definite];
  for (const object of maybe) {
    if (definite.has(object)) continue;
    const id = object.slice(type.length + 1);
    if (new Checker(ctx, user).check(type, id, relation)) objects.push(object);
  }
  return objects;
}
