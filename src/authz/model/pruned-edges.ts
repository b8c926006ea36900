import type { CompiledModel } from './compile.ts';
import type { Rewrite } from './rewrite.ts';

/**
 * OpenFGA's `GetPrunedRelationshipEdges(target, source) != empty`: can users of `source`
 * (`user`, or a userset `group#member`) be related to `target` at all, walking the model from
 * the target down — where an intersection counts only through its first operand and an
 * exclusion only through its base. ListUsers answers an empty list without reading anything
 * when this is false.
 */
export function prunedEdgesExist(model: CompiledModel, sourceType: string, sourceRelation: string, targetType: string, targetRelation: string): boolean {
  const visited = new Set<string>();

  const fromRelation = (type: string, relation: string): boolean => {
    const key = `${type}#${relation}`;
    if (visited.has(key)) return false;
    visited.add(key);
    const info = model.relation(type, relation);
    return info ? fromRewrite(type, relation, info.rewrite) : false;
  };

  const fromRewrite = (type: string, relation: string, node: Rewrite): boolean => {
    switch (node.kind) {
      case 'this': {
        const info = model.relation(type, relation);
        if (!info) return false;
        const direct = info.directs.some((r) => r.type === sourceType && !r.wildcard && r.relation === sourceRelation);
        if (direct || info.wildcardTypes.has(sourceType)) return true;
        return info.usersetRefs.some((r) => fromRelation(r.type, r.relation));
      }
      case 'computed':
        if (type === sourceType && node.relation === sourceRelation) return true;
        return fromRelation(type, node.relation);
      case 'ttu':
        for (const ref of model.relation(type, node.tupleset)?.directs ?? []) {
          if (!model.relation(ref.type, node.computed)) continue;
          if (ref.type === sourceType && node.computed === sourceRelation) return true;
          if (fromRelation(ref.type, node.computed)) return true;
        }
        return false;
      case 'union':
        return node.children.some((child) => fromRewrite(type, relation, child));
      case 'intersection':
        return node.children[0] ? fromRewrite(type, relation, node.children[0]) : false;
      case 'difference':
        return fromRewrite(type, relation, node.base);
    }
  };

  return fromRelation(targetType, targetRelation);
}
