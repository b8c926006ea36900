import type { ListUsersRequest, ListUsersResponse, User } from '@openfga/sdk';
import type { ListResult } from '../engine.ts';
import { fgaError, validationError, type OpenFgaError } from '../errors.ts';
import { parseUser } from '../model/keys.ts';
import type { Rewrite } from '../model/rewrite.ts';
import { Checker } from './check.ts';
import type { EmbeddedAuthzEngine } from './engine.ts';
import { EvalContext, isEvalError, MAX_RESOLUTION_DEPTH, resolutionTooComplex } from './eval-context.ts';
import { contextualRows, requestContext, requireRelation, requireType } from './requests.ts';
import { rowUser } from './tuple-row.ts';

/** ListUsers with OpenFGA's validation order (contextual tuples, filter, target) and codes. */
export function runListUsers(engine: EmbeddedAuthzEngine, storeId: string, body: ListUsersRequest): ListResult<ListUsersResponse> {
  const objectType = requireType(body?.object?.type, 'ListUsersRequest.Object.Type');
  const objectId = body.object.id;
  if (typeof objectId !== 'string' || !/^[^#:\s]+$/.test(objectId)) {
    throw validationError('invalid ListUsersRequest.Object: embedded message failed validation | caused by: invalid Object.Id: value does not match regex pattern "[^#:\\s]+$"');
  }
  const relation = requireRelation(body.relation, 'ListUsersRequest.Relation');
  const filters = body.user_filters;
  if (!Array.isArray(filters) || filters.length !== 1) {
    throw validationError('invalid ListUsersRequest.UserFilters: value must contain exactly 1 item(s)');
  }
  const filterType = requireType(filters[0]?.type, 'UserTypeFilter.Type');
  const filterRelation = filters[0]?.relation ?? '';
  const model = engine.model(storeId, body.authorization_model_id);
  const contextual = contextualRows(model, body.contextual_tuples, 'list');
  if (!model.hasType(filterType)) throw fgaError('type_not_found', `type '${filterType}' not found`);
  if (filterRelation !== '' && !model.relation(filterType, filterRelation)) {
    throw fgaError('relation_not_found', `relation '${filterType}#${filterRelation}' not found`);
  }
  if (!model.hasType(objectType)) throw fgaError('type_not_found', `type '${objectType}' not found`);
  if (!model.relation(objectType, relation)) throw fgaError('relation_not_found', `relation '${objectType}#${relation}' not found`);
  const ctx = new EvalContext(model, engine.reader(storeId, contextual), requestContext(body.context));
  const users = listUsers(ctx, objectType, objectId, relation, filterType, filterRelation);
  return { users: users.map(toUser) };
}

/**
 * Every user of the filter's type (objects, the typed wildcard) or userset (`group#member`) with
 * `relation` on the object. Expands from the object through every rewrite operand — as OpenFGA's
 * ListUsers does, so a condition that cannot be evaluated anywhere in the expansion, or a path
 * deeper than the resolution limit, fails the request — collecting candidates of the filter's
 * type; each candidate is then confirmed with a full Check, so intersections, exclusions and
 * wildcards answer exactly as Check does.
 */
export function listUsers(ctx: EvalContext, objectType: string, objectId: string, relation: string, filterType: string, filterRelation: string): string[] {
  const { model } = ctx;
  const isTarget = filterRelation !== '' && filterType === objectType && filterRelation === relation;
  if (!isTarget && !model.graph.pathExists(filterType, filterRelation, objectType, relation)) return [];
  const candidates = new Set<string>();
  const path = new Set<string>();
  let error: OpenFgaError | undefined;

  const expand = (type: string, id: string, rel: string, depth: number): void => {
    if (depth >= MAX_RESOLUTION_DEPTH) throw resolutionTooComplex();
    const key = `${type}:${id}#${rel}`;
    if (path.has(key)) return;
    if (filterRelation !== '' && type === filterType && rel === filterRelation) candidates.add(key);
    const info = model.relation(type, rel);
    if (!info) return;
    path.add(key);
    const visit = (node: Rewrite): void => {
      switch (node.kind) {
        case 'this':
          for (const row of ctx.tuples.readByObject(type, id, rel)) {
            if (!ctx.readable(info, row) || !holds(row)) continue;
            if (row.user_relation === '') {
              if (row.user_type === filterType) candidates.add(rowUser(row));
            } else {
              expand(row.user_type, row.user_id, row.user_relation, depth + 1);
            }
          }
          return;
        case 'computed':
          expand(type, id, node.relation, depth + 1);
          return;
        case 'ttu': {
          const tupleset = model.relation(type, node.tupleset);
          if (!tupleset) return;
          for (const row of ctx.tuples.readByObject(type, id, node.tupleset)) {
            if (ctx.readable(tupleset, row) && holds(row)) expand(row.user_type, row.user_id, node.computed, depth + 1);
          }
          return;
        }
        case 'union':
        case 'intersection':
          node.children.forEach(visit);
          return;
        case 'difference':
          visit(node.base);
          visit(node.subtract);
          return;
      }
    };
    try {
      visit(info.rewrite);
    } finally {
      path.delete(key);
    }
  };

  const holds = (row: Parameters<EvalContext['holds']>[0]): boolean => {
    try {
      return ctx.holds(row);
    } catch (e) {
      if (!isEvalError(e)) throw e;
      error ??= e;
      return false;
    }
  };

  expand(objectType, objectId, relation, 0);
  if (error) throw error;
  const users: string[] = [];
  for (const candidate of candidates) {
    if (new Checker(ctx, parseUser(candidate)).check(objectType, objectId, relation)) users.push(candidate);
  }
  return users;
}

function toUser(user: string): User {
  const parts = parseUser(user);
  if (parts.relation !== '') return { userset: { type: parts.type, id: parts.id, relation: parts.relation } };
  if (parts.id === '*') return { wildcard: { type: parts.type } };
  return { object: { type: parts.type, id: parts.id } };
}
