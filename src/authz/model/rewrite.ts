/**
 * The in-memory form of an authorization model's userset rewrites and type restrictions, as the
 * evaluator walks them. Built once per model (see compile.ts) from the OpenFGA JSON.
 */
export type Rewrite =
  | { kind: 'this' }
  | { kind: 'computed'; relation: string }
  | { kind: 'ttu'; tupleset: string; computed: string }
  | { kind: 'union'; children: Rewrite[] }
  | { kind: 'intersection'; children: Rewrite[] }
  | { kind: 'difference'; base: Rewrite; subtract: Rewrite };

/** One entry of a relation's `directly_related_user_types`: `user`, `user:*`, `group#member`, each optionally `with cond`. */
export interface RelationRef {
  type: string;
  /** '' unless this is a userset reference (`group#member`). */
  relation: string;
  wildcard: boolean;
  /** '' when the reference carries no condition. */
  condition: string;
}

/** `user`, `user:*` or `group#member`: the key a reference (or a tuple's user) is matched by. */
export function refKey(type: string, relation: string, wildcard: boolean): string {
  if (wildcard) return `${type}:*`;
  return relation === '' ? type : `${type}#${relation}`;
}

/** Calls `visit` on every node of a rewrite tree, depth first. */
export function walkRewrite(rewrite: Rewrite, visit: (node: Rewrite) => void): void {
  visit(rewrite);
  switch (rewrite.kind) {
    case 'union':
    case 'intersection':
      for (const child of rewrite.children) walkRewrite(child, visit);
      return;
    case 'difference':
      walkRewrite(rewrite.base, visit);
      walkRewrite(rewrite.subtract, visit);
      return;
    default:
      return;
  }
}
