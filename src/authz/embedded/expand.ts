import type { ExpandRequest, ExpandResponse, Node } from '@openfga/sdk';
import { fgaError, validationError } from '../errors.ts';
import type { RelationInfo } from '../model/compile.ts';
import { splitObject } from '../model/keys.ts';
import type { Rewrite } from '../model/rewrite.ts';
import type { EmbeddedAuthzEngine } from './engine.ts';
import { EvalContext } from './eval-context.ts';
import { contextualRows, requireRelation } from './requests.ts';
import { rowUser } from './tuple-row.ts';
import { objectRelationProblem } from './tuple-validation.ts';

/**
 * Expand: one level of the userset tree for `object#relation`, as OpenFGA builds it — direct
 * users as a sorted leaf, computed relations and tuple-to-usersets as references to expand next,
 * set operations as nodes. Tuples that do not fit the model are left out; conditions are not
 * evaluated (Expand shows relationships, not decisions).
 */
export function runExpand(engine: EmbeddedAuthzEngine, storeId: string, body: ExpandRequest): ExpandResponse {
  const object = body?.tuple_key?.object;
  const relation = body?.tuple_key?.relation;
  if (!object || !relation) throw fgaError('invalid_expand_input', 'Invalid input. Make sure you provide an object and a relation');
  requireRelation(relation, 'ExpandRequestTupleKey.Relation');
  const model = engine.model(storeId, body.authorization_model_id);
  const contextual = contextualRows(model, body.contextual_tuples?.tuple_keys, 'list');
  const problem = objectRelationProblem(model, object, relation);
  if (problem) throw validationError(problem.cause);
  const [type, id] = splitObject(object);
  const info = model.relation(type, relation) as RelationInfo;
  const ctx = new EvalContext(model, engine.reader(storeId, contextual), undefined);
  return { tree: { root: expandNode(ctx, info, info.rewrite, id) } };
}

function expandNode(ctx: EvalContext, info: RelationInfo, node: Rewrite, id: string): Node {
  const name = `${info.type}:${id}#${info.name}`;
  switch (node.kind) {
    case 'this': {
      const users = new Set<string>();
      for (const row of ctx.tuples.readByObject(info.type, id, info.name)) if (ctx.readable(info, row)) users.add(rowUser(row));
      return { name, leaf: { users: { users: [...users].sort() } } };
    }
    case 'computed':
      return { name, leaf: { computed: { userset: `${info.type}:${id}#${node.relation}` } } };
    case 'ttu': {
      const tupleset = ctx.model.relation(info.type, node.tupleset);
      const computed: { userset: string }[] = [];
      const seen = new Set<string>();
      for (const row of tupleset ? ctx.tuples.readByObject(info.type, id, node.tupleset) : []) {
        if (!ctx.readable(tupleset as RelationInfo, row)) continue;
        const userset = `${row.user_type}:${row.user_id}#${row.user_relation === '' ? node.computed : row.user_relation}`;
        if (!seen.has(userset)) {
          seen.add(userset);
          computed.push({ userset });
        }
      }
      return { name, leaf: { tupleToUserset: { tupleset: `${info.type}:${id}#${node.tupleset}`, computed } } };
    }
    case 'union':
      return { name, union: { nodes: node.children.map((c) => expandNode(ctx, info, c, id)) } };
    case 'intersection':
      return { name, intersection: { nodes: node.children.map((c) => expandNode(ctx, info, c, id)) } };
    case 'difference':
      return { name, difference: { base: expandNode(ctx, info, node.base, id), subtract: expandNode(ctx, info, node.subtract, id) } };
  }
}
