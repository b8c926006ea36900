import type { AuthorizationModel, Userset } from '@openfga/sdk';
import { CompiledCondition } from '../conditions/condition.ts';
import { ModelGraph } from './graph.ts';
import { refKey, walkRewrite, type RelationRef, type Rewrite } from './rewrite.ts';

/** One relation of a type, indexed for the evaluator and for tuple validation. */
export interface RelationInfo {
  type: string;
  name: string;
  rewrite: Rewrite;
  /** `directly_related_user_types`, in model order. */
  directs: RelationRef[];
  /** The userset references (`group#member`) among `directs`. */
  usersetRefs: RelationRef[];
  /** Keys (`user`, `user:*`, `group#member`) of every direct reference, with or without a condition. */
  refKeys: Set<string>;
  /** Types with a plain reference (`user`) that carries no condition. */
  noConditionPlain: Set<string>;
  /** Types with a wildcard reference (`user:*`) that carries no condition. */
  noConditionWildcard: Set<string>;
  /** Userset references (`group#member`) that carry no condition. */
  noConditionUserset: Set<string>;
  /** user type → condition names some reference of that type carries. */
  conditionsByType: Map<string, Set<string>>;
  /** Types that may be assigned as a wildcard (`user:*`), with or without condition. */
  wildcardTypes: Set<string>;
  /** Referenced as the tupleset of a `X from <this>` rewrite on the same type. */
  isTupleset: boolean;
  /** Direct assignment, alone or in a union: a tuple of the user that holds is enough for allowed. */
  directAllows: boolean;
  /**
   * `define member: [user, user:*, group#member]`: only direct assignment, no conditions, and
   * the only userset it accepts is itself. Membership is then reachability in the tuple graph,
   * which Check answers from the user's side (OpenFGA's recursive resolver does the same).
   */
  recursiveDirect: boolean;
}

/** How the embedded engine compiles models. */
export interface ModelOptions {
  /** The cost limit of one condition evaluation (OpenFGA's `--max-condition-evaluation-cost`; 100). */
  maxConditionCost?: number;
}

/**
 * An authorization model compiled once for evaluation: types and relations in maps, rewrites as
 * trees, conditions as CEL programs, and the reachability graph. Immutable; cached by model id.
 */
export class CompiledModel {
  readonly types = new Map<string, Map<string, RelationInfo>>();
  readonly conditions = new Map<string, CompiledCondition>();
  readonly graph: ModelGraph;
  /** Memo for tuple-context validity (`condition\0contextJSON` → valid), see tuple-validation.ts. */
  readonly contextValidity = new Map<string, boolean>();

  /** Compiles a model that validate.ts accepted (conditions are compiled again here). */
  constructor(
    readonly json: AuthorizationModel,
    options: ModelOptions = {},
  ) {
    for (const def of json.type_definitions) {
      const relations = new Map<string, RelationInfo>();
      for (const [name, userset] of Object.entries(def.relations ?? {})) {
        const refs = def.metadata?.relations?.[name]?.directly_related_user_types ?? [];
        relations.set(name, relationInfo(def.type, name, toRewrite(userset), refs.map((r) => ({
          type: r.type,
          relation: r.relation ?? '',
          wildcard: r.wildcard !== undefined && r.wildcard !== null,
          condition: r.condition ?? '',
        }))));
      }
      this.types.set(def.type, relations);
    }
    for (const relations of this.types.values()) {
      for (const info of relations.values()) {
        walkRewrite(info.rewrite, (node) => {
          if (node.kind === 'ttu') {
            const tupleset = relations.get(node.tupleset);
            if (tupleset) tupleset.isTupleset = true;
          }
        });
      }
    }
    for (const [name, condition] of Object.entries(json.conditions ?? {})) {
      this.conditions.set(name, CompiledCondition.compile(condition, { maxCost: options.maxConditionCost }));
    }
    this.graph = new ModelGraph(this.allRelations(), (t, r) => this.relation(t, r));
  }

  get id(): string {
    return this.json.id;
  }

  hasType(type: string): boolean {
    return this.types.has(type);
  }

  relation(type: string, relation: string): RelationInfo | undefined {
    return this.types.get(type)?.get(relation);
  }

  *allRelations(): Iterable<RelationInfo> {
    for (const relations of this.types.values()) yield* relations.values();
  }
}

function relationInfo(type: string, name: string, rewrite: Rewrite, directs: RelationRef[]): RelationInfo {
  const info: RelationInfo = {
    type,
    name,
    rewrite,
    directs,
    usersetRefs: directs.filter((r) => r.relation !== ''),
    refKeys: new Set(directs.map((r) => refKey(r.type, r.relation, r.wildcard))),
    noConditionPlain: new Set(),
    noConditionWildcard: new Set(),
    noConditionUserset: new Set(),
    conditionsByType: new Map(),
    wildcardTypes: new Set(directs.filter((r) => r.wildcard).map((r) => r.type)),
    isTupleset: false,
    directAllows: directAllows(rewrite),
    recursiveDirect:
      rewrite.kind === 'this' &&
      directs.some((r) => r.relation !== '') &&
      directs.every((r) => r.condition === '' && (r.relation === '' || (r.type === type && r.relation === name))),
  };
  for (const ref of directs) {
    if (ref.condition === '') {
      if (ref.wildcard) info.noConditionWildcard.add(ref.type);
      else if (ref.relation !== '') info.noConditionUserset.add(`${ref.type}#${ref.relation}`);
      else info.noConditionPlain.add(ref.type);
    } else {
      let set = info.conditionsByType.get(ref.type);
      if (!set) info.conditionsByType.set(ref.type, (set = new Set()));
      set.add(ref.condition);
    }
  }
  return info;
}

const directAllows = (r: Rewrite): boolean => r.kind === 'this' || (r.kind === 'union' && r.children.some(directAllows));

/** The canonical JSON userset (normalize.ts) as a rewrite tree. */
export function toRewrite(u: Userset): Rewrite {
  if (u.computedUserset) return { kind: 'computed', relation: u.computedUserset.relation as string };
  if (u.tupleToUserset) {
    return { kind: 'ttu', tupleset: u.tupleToUserset.tupleset.relation as string, computed: u.tupleToUserset.computedUserset.relation as string };
  }
  if (u.union) return { kind: 'union', children: u.union.child.map(toRewrite) };
  if (u.intersection) return { kind: 'intersection', children: u.intersection.child.map(toRewrite) };
  if (u.difference) return { kind: 'difference', base: toRewrite(u.difference.base), subtract: toRewrite(u.difference.subtract) };
  return { kind: 'this' };
}
