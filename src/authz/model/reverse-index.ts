import type { CompiledModel } from './compile.ts';
import { refKey, type Rewrite } from './rewrite.ts';

/**
 * The model read backwards, for ListObjects: given that a user is in `X:id#r`, which relations
 * can that make them part of? An edge is `definite` when it sits only under unions (membership
 * then follows for sure) and not definite under an intersection or the base of an exclusion
 * (the candidate must be checked). Only the first operand of an intersection is followed (a
 * member of the intersection is a member of it), and subtracted operands never make anyone a
 * member: no edge.
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
  /** Labels (`user`, `user:*`, `X#r`) with a path of these edges to `target` (`T#R`), memoised. */
  reaching(target: string): ReadonlySet<string>;
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
  const incoming = new Map<string, Set<string>>();
  const edge = (from: string, to: string) => {
    let set = incoming.get(to);
    if (!set) incoming.set(to, (set = new Set()));
    set.add(from);
  };
  const memo = new Map<string, ReadonlySet<string>>();
  const index: ReverseIndex = {
    direct: new Map(),
    computed: new Map(),
    ttu: new Map(),
    reaching(target) {
      let seen = memo.get(target) as Set<string> | undefined;
      if (seen) return seen;
      seen = new Set([target]);
      const queue = [target];
      while (queue.length > 0) {
        for (const from of incoming.get(queue.pop() as string) ?? []) {
          if (!seen.has(from)) {
            seen.add(from);
            queue.push(from);
          }
        }
      }
      memo.set(target, seen);
      return seen;
    },
  };
  for (const info of model.allRelations()) {
    const visit = (node: Rewrite, definite: boolean): void => {
      switch (node.kind) {
        case 'this':
          for (const ref of info.directs) {
            const key = refKey(ref.type, ref.relation, ref.wildcard);
            add(index.direct, key, { type: info.type, relation: info.name, definite });
            edge(key, `${info.type}#${info.name}`);
          }
          return;
        case 'computed':
          add(index.computed, `${info.type}#${node.relation}`, { relation: info.name, definite });
          edge(`${info.type}#${node.relation}`, `${info.type}#${info.name}`);
          return;
        case 'ttu':
          for (const ref of model.relation(info.type, node.tupleset)?.directs ?? []) {
            if (!model.relation(ref.type, node.computed)) continue;
            add(index.ttu, `${ref.type}#${node.computed}`, { type: info.type, tupleset: node.tupleset, relation: info.name, definite });
            edge(`${ref.type}#${node.computed}`, `${info.type}#${info.name}`);
          }
          return;
        case 'union':
          for (const child of node.children) visit(child, definite);
          return;
        case 'intersection':
          // As OpenFGA's pruned relationship edges: every member of an intersection is in its
          // first operand, so only that one is walked; Check confirms the rest.
          if (node.children[0]) visit(node.children[0], false);
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
