import type { RelationInfo } from './compile.ts';
import { refKey, walkRewrite } from './rewrite.ts';

/**
 * Which user types can possibly reach which relations: OpenFGA's authorization-model graph
 * (language `graph_builder.go`) reduced to labels — `user` (a type), `user:*` (its wildcard),
 * `group#member` (a relation) — with an edge for every direct type restriction, computed
 * relation and tuple-to-userset in a rewrite (every operand of union, intersection and
 * exclusion alike). `pathExists` is Check's early "no path, so false" and ListObjects' pruning.
 */
export class ModelGraph {
  /** target label → labels with an edge into it. */
  readonly #incoming = new Map<string, Set<string>>();
  /** target label → every label that reaches it (memoised). */
  readonly #reaching = new Map<string, ReadonlySet<string>>();

  constructor(relations: Iterable<RelationInfo>, lookup: (type: string, relation: string) => RelationInfo | undefined) {
    for (const info of relations) {
      const target = `${info.type}#${info.name}`;
      walkRewrite(info.rewrite, (node) => {
        if (node.kind === 'this') {
          for (const ref of info.directs) this.#edge(refKey(ref.type, ref.relation, ref.wildcard), target);
        } else if (node.kind === 'computed') {
          this.#edge(`${info.type}#${node.relation}`, target);
        } else if (node.kind === 'ttu') {
          const tupleset = lookup(info.type, node.tupleset);
          for (const ref of tupleset?.directs ?? []) {
            if (lookup(ref.type, node.computed)) this.#edge(`${ref.type}#${node.computed}`, target);
          }
        }
      });
    }
  }

  #edge(from: string, to: string): void {
    let set = this.#incoming.get(to);
    if (!set) this.#incoming.set(to, (set = new Set()));
    set.add(from);
  }

  /** Every label with a path to `target` (including `target` itself). */
  reaching(target: string): ReadonlySet<string> {
    let found = this.#reaching.get(target);
    if (found) return found;
    const seen = new Set<string>([target]);
    const queue = [target];
    while (queue.length > 0) {
      const next = queue.pop() as string;
      for (const from of this.#incoming.get(next) ?? []) {
        if (!seen.has(from)) {
          seen.add(from);
          queue.push(from);
        }
      }
    }
    found = seen;
    this.#reaching.set(target, found);
    return found;
  }

  /**
   * OpenFGA's `PathExists(user, relation, objectType)`: a path from the user's type (or its
   * userset `type#relation`) to `objectType#relation`, or — for a non-userset user — from the
   * type's wildcard `type:*`.
   */
  pathExists(userType: string, userRelation: string, objectType: string, relation: string): boolean {
    const reaching = this.reaching(`${objectType}#${relation}`);
    if (userRelation !== '') return reaching.has(`${userType}#${userRelation}`);
    return reaching.has(userType) || reaching.has(`${userType}:*`);
  }
}
