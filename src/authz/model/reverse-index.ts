import type { CompiledModel } from './compile.ts';
import { refKey, type Rewrite } from './rewrite.ts';

/**
 * The model read backwards, for ListObjects: given that a user is in `X:id#r`, which relations
 * can that make them part of? An edge is `definite` when it sits only under unions (membership
 * then follows for sure) and not definite under an intersection or the base of an exclusion
 * (the candidate must be checked). Subtracted operands never make anyone a member: no edge.
 */
export interface DirectEdge {
  /** `Y#s` whose direct type restrictions accept the source key. */
  type: string;
  relation: string;
  definite: boolean;
}

export interface ComputedEdge {
  /** `X#s` on the same object, defined with `r` as a computed operand. */
  relation: string;
  definite: boolean;
}

export interface TupleToUsersetEdge {
  /** `Y#s` defined as `r from tupleset`, where `Y#tupleset` accepts objects of type X. */
  type: string;
  tupleset: string;
  relation: string;
  definite: boolean;
}

export interface ReverseIndex {
  /** by the source key of a tuple's user: `user`, `user:*`, `group#member`. */
  direct: Map<string, DirectEdge[]>;
  /** by `X#r`. */
  computed: Map<string, ComputedEdge[]>;
  /** by `X#r` (X the type of the tupleset tuple's user object). */
  ttu: Map<string, TupleToUsersetEdge[]>;
}

const cache = new WeakMap<CompiledModel, ReverseIndex>();

export function reverseIndexOf(model: CompiledModel): ReverseIndex {
  let index = cache.get(model);
  if (!index) {
    index = build(model);
    cache.set(model, index);
  }
  return index;
}

function add<T extends object>(map: Map<string, T[]>, key: string, edge: T): void {
  const list = map.get(key);
  if (!list) map.set(key, [edge]);
  else if (!list.some((e) => JSON.stringify(e) === JSON.stringify(edge))) list.push(edge);
}

function build(model: CompiledModel): ReverseIndex {
  const index: ReverseIndex = { direct: new Map(), computed: new Map(), ttu: new Map() };
  for (const info of model.allRelations()) {
    const visit = (node: Rewrite, definite: boolean): void => {
      switch (node.kind) {
        case 'this':
          for (const ref of info.directs) {
            add(index.direct, refKey(ref.type, ref.relation, ref.wildcard), { type: info.type, relation: info.name, definite });
          }
          return;
        case 'computed':
          add(index.computed, `${info.type}#${node.relation}`, { relation: info.name, definite });
          return;
        case 'ttu':
          for (const ref of model.relation(info.type, node.tupleset)?.directs ?? []) {
            if (!model.relation(ref.type, node.computed)) continue;
            add(index.ttu, `${ref.type}#${node.computed}`, { type: info.type, tupleset: node.tupleset, relation: info.name, definite });
          }
          return;
        case 'union':
          for (const child of node.children) visit(child, definite);
          return;
        case 'intersection':
          for (const child of node.children) visit(child, false);
          return;
        case 'difference':
          visit(node.base, false);
          return;
      }
    };
    visit(info.rewrite, true);
  }
  return index;
}
