import type { ListUsersRequest, ListUsersResponse, User } from '@openfga/sdk';
import type { ListResult } from '../engine.ts';
import { fgaError, validationError } from '../errors.ts';
import { parseUser, re2Pattern } from '../model/keys.ts';
import { prunedEdgesExist } from '../model/pruned-edges.ts';
import { Checker } from './check.ts';
import type { EmbeddedAuthzEngine } from './engine.ts';
import { EvalContext } from './eval-context.ts';
import { UserExpander } from './list-users-expand.ts';
import { contextualRows, requestContext, requireRelation, requireType } from './requests.ts';

const OBJECT_ID = re2Pattern('^[^#:\\s]+$');

/** ListUsers with OpenFGA's validation order (contextual tuples, filter, target) and codes. */
export function runListUsers(engine: EmbeddedAuthzEngine, storeId: string, body: ListUsersRequest): ListResult<ListUsersResponse> {
  const objectType = requireType(body?.object?.type, 'Object.Type');
  const objectId = body.object.id;
  if (typeof objectId !== 'string' || !OBJECT_ID.test(objectId)) {
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
 * `relation` on the object: OpenFGA's ListUsers expansion (list-users-expand.ts) — so the same
 * users come back, and the same requests fail — with each user then confirmed by Check, so a
 * listed user is always one Check allows.
 */
export function listUsers(ctx: EvalContext, objectType: string, objectId: string, relation: string, filterType: string, filterRelation: string): string[] {
  const isTarget = filterRelation !== '' && filterType === objectType && filterRelation === relation;
  if (!isTarget && !prunedEdgesExist(ctx.model, filterType, filterRelation, objectType, relation)) return [];
  const verdicts = new UserExpander(ctx, filterType, filterRelation).run(objectType, objectId, relation);
  const users: string[] = [];
  for (const [user, has] of verdicts) {
    if (has && new Checker(ctx, parseUser(user)).check(objectType, objectId, relation)) users.push(user);
  }
  return users;
}

function toUser(user: string): User {
  const parts = parseUser(user);
  if (parts.relation !== '') return { userset: { type: parts.type, id: parts.id, relation: parts.relation } };
  if (parts.id === '*') return { wildcard: { type: parts.type } };
  return { object: { type: parts.type, id: parts.id } };
}
