import type { RelationInfo } from '../model/compile.ts';
import type { UserParts } from '../model/keys.ts';
import type { Rewrite } from '../model/rewrite.ts';
import type { OpenFgaError } from '../errors.ts';
import { EvalContext, isEvalError, MAX_RESOLUTION_DEPTH, resolutionTooComplex } from './eval-context.ts';
import type { TupleRow } from './tuple-row.ts';

/** A Check outcome: allowed, not allowed, or not allowed because the path ran into a cycle. */
export const FALSE = 0;
export const TRUE = 1;
export const CYCLE = 2;
export type Outcome = typeof FALSE | typeof TRUE | typeof CYCLE;

/**
 * OpenFGA's Check (`internal/graph` LocalChecker with the default resolvers), depth first and
 * synchronous. The rules that shape answers:
 * - union: any branch allowed wins; otherwise an error in any branch is the answer; otherwise
 *   not allowed (remembering whether a cycle was hit);
 * - intersection: any branch not allowed (or cyclic) wins; otherwise an error; otherwise allowed;
 * - exclusion: not allowed when the base is not allowed or the subtracted set is allowed or
 *   cyclic; otherwise an error from either side; otherwise allowed;
 * - a revisited `object#relation` on the current path is a cycle (not allowed);
 * - following a userset or tuple-to-userset tuple costs one level; level 25 is an error;
 * - a tuple whose condition cannot be evaluated is an error only when no tuple of the same read
 *   passed its condition (OpenFGA's `ConditionsFilteredTupleKeyIterator`).
 */
export class Checker {
  readonly #path = new Set<string>();
  /** `type#relation` → ids of the objects the user reaches (recursiveDirect relations only). */
  readonly #reached = new Map<string, Set<string>>();

  constructor(
    private readonly ctx: EvalContext,
    private readonly user: UserParts,
  ) {}

  /** Throws the evaluation error when there is no definite answer. */
  check(objectType: string, objectId: string, relation: string): boolean {
    return this.resolve(objectType, objectId, relation, 0) === TRUE;
  }

  resolve(objectType: string, objectId: string, relation: string, depth: number): Outcome {
    if (depth >= MAX_RESOLUTION_DEPTH) throw resolutionTooComplex();
    const key = `${objectType}:${objectId}#${relation}`;
    if (this.#path.has(key)) return CYCLE;
    const user = this.user;
    if (user.relation === relation && user.type === objectType && user.id === objectId) return TRUE;
    const info = this.ctx.model.relation(objectType, relation);
    if (!info) return FALSE;
    if (!this.ctx.model.graph.pathExists(user.type, user.relation, objectType, relation)) return FALSE;
    if (info.recursiveDirect && user.relation === '' && user.id !== '*') return this.#reachedBy(info).has(objectId) ? TRUE : FALSE;
    this.#path.add(key);
    try {
      return this.#rewrite(info, info.rewrite, objectId, depth);
    } finally {
      this.#path.delete(key);
    }
  }

  #rewrite(info: RelationInfo, node: Rewrite, objectId: string, depth: number): Outcome {
    switch (node.kind) {
      case 'this':
        return this.#direct(info, objectId, depth);
      case 'computed':
        return this.resolve(info.type, objectId, node.relation, depth);
      case 'ttu':
        return this.#ttu(info, node.tupleset, node.computed, objectId, depth);
      case 'union': {
        let err: OpenFgaError | undefined;
        let cycle = false;
        for (const child of node.children) {
          try {
            const o = this.#rewrite(info, child, objectId, depth);
            if (o === TRUE) return TRUE;
            if (o === CYCLE) cycle = true;
          } catch (e) {
            if (!isEvalError(e)) throw e;
            err = e;
          }
        }
        if (err) throw err;
        return cycle ? CYCLE : FALSE;
      }
      case 'intersection': {
        let err: OpenFgaError | undefined;
        for (const child of node.children) {
          try {
            const o = this.#rewrite(info, child, objectId, depth);
            if (o !== TRUE) return o;
          } catch (e) {
            if (!isEvalError(e)) throw e;
            err ??= e;
          }
        }
        if (err) throw err;
        return TRUE;
      }
      case 'difference': {
        let baseErr: OpenFgaError | undefined;
        try {
          const base = this.#rewrite(info, node.base, objectId, depth);
          if (base !== TRUE) return base;
        } catch (e) {
          if (!isEvalError(e)) throw e;
          baseErr = e;
        }
        let sub: Outcome;
        try {
          sub = this.#rewrite(info, node.subtract, objectId, depth);
        } catch (e) {
          if (!isEvalError(e)) throw e;
          throw baseErr ?? e;
        }
        if (sub !== FALSE) return sub === CYCLE ? CYCLE : FALSE;
        if (baseErr) throw baseErr;
        return TRUE;
      }
    }
  }

  /**
   * For a recursiveDirect relation: every object whose relation the user is in, walking up from
   * the user's own tuples (and the wildcard's) through the userset tuples, once per Check. Over
   * stored tuples alone this is one recursive query; with contextual tuples, a walk.
   */
  #reachedBy(info: RelationInfo): Set<string> {
    const key = `${info.type}#${info.name}`;
    let reached = this.#reached.get(key);
    if (reached) return reached;
    const { ctx, user } = this;
    if (ctx.tuples.reachable && !info.isTupleset) {
      // Readable seeds of a condition-free relation: the user's type if assignable, its wildcard if allowed.
      const plain = info.noConditionPlain.has(user.type) ? user.id : null;
      const wildcard = info.noConditionWildcard.has(user.type) ? '*' : null;
      reached = new Set(plain === null && wildcard === null ? [] : ctx.tuples.reachable(info.type, info.name, user.type, [plain, wildcard]));
    } else {
      reached = this.#walkReached(info);
    }
    this.#reached.set(key, reached);
    return reached;
  }

  #walkReached(info: RelationInfo): Set<string> {
    const reached = new Set<string>();
    const { ctx, user } = this;
    const queue: string[] = [];
    const visit = (rows: TupleRow[]) => {
      for (const row of rows) {
        if (!reached.has(row.object_id) && ctx.readable(info, row)) {
          reached.add(row.object_id);
          queue.push(row.object_id);
        }
      }
    };
    visit(ctx.tuples.readByUser(info.type, info.name, user.type, user.id, ''));
    if (info.wildcardTypes.has(user.type)) visit(ctx.tuples.readByUser(info.type, info.name, user.type, '*', ''));
    for (let i = 0; i < queue.length; i++) visit(ctx.tuples.readByUser(info.type, info.name, info.type, queue[i] as string, info.name));
    return reached;
  }

  /** `[user, user:*, group#member]`: the exact tuple, the wildcard tuple, then the usersets. */
  #direct(info: RelationInfo, objectId: string, depth: number): Outcome {
    const { ctx, user } = this;
    let err: OpenFgaError | undefined;
    if (info.refKeys.has(user.relation === '' ? user.type : `${user.type}#${user.relation}`)) {
      const row = ctx.tuples.readUserTuple(info.type, objectId, info.name, user.type, user.id, user.relation);
      if (row && ctx.readable(info, row)) {
        try {
          if (ctx.holds(row)) return TRUE;
        } catch (e) {
          if (!isEvalError(e)) throw e;
          err = e;
        }
      }
    }
    if (user.relation === '' && info.wildcardTypes.has(user.type)) {
      try {
        if (this.#anyHolds(info, ctx.tuples.readWildcards(info.type, objectId, info.name, user.type))) return TRUE;
      } catch (e) {
        if (!isEvalError(e)) throw e;
        err = e;
      }
    }
    let cycle = false;
    if (info.usersetRefs.length > 0) {
      try {
        const o = this.#dispatch(info, ctx.tuples.readUsersets(info.type, objectId, info.name), '', depth);
        if (o === TRUE) return TRUE;
        cycle = o === CYCLE;
      } catch (e) {
        if (!isEvalError(e)) throw e;
        err = e;
      }
    }
    if (err) throw err;
    return cycle ? CYCLE : FALSE;
  }

  #ttu(info: RelationInfo, tupleset: string, computed: string, objectId: string, depth: number): Outcome {
    const tuplesetInfo = this.ctx.model.relation(info.type, tupleset);
    if (!tuplesetInfo) return FALSE;
    return this.#dispatch(tuplesetInfo, this.ctx.tuples.readByObject(info.type, objectId, tupleset), computed, depth);
  }

  /** True when some readable tuple's condition holds; an error only when none held and one failed. */
  #anyHolds(info: RelationInfo, rows: TupleRow[]): boolean {
    let err: OpenFgaError | undefined;
    for (const row of rows) {
      if (!this.ctx.readable(info, row)) continue;
      try {
        if (this.ctx.holds(row)) return true;
      } catch (e) {
        if (!isEvalError(e)) throw e;
        err = e;
      }
    }
    if (err) throw err;
    return false;
  }

  /**
   * Follows each readable tuple whose condition holds one level down: to `user#relation` of a
   * userset tuple (computed = ''), or to `computed` on the tuple's user object (tuple-to-userset).
   */
  #dispatch(info: RelationInfo, rows: TupleRow[], computed: string, depth: number): Outcome {
    const { ctx } = this;
    let conditionErr: OpenFgaError | undefined;
    let err: OpenFgaError | undefined;
    let passed = false;
    let cycle = false;
    for (const row of rows) {
      if (computed === '' && !info.refKeys.has(`${row.user_type}#${row.user_relation}`)) continue;
      if (!ctx.readable(info, row)) continue;
      try {
        if (!ctx.holds(row)) continue;
      } catch (e) {
        if (!isEvalError(e)) throw e;
        conditionErr = e;
        continue;
      }
      passed = true;
      const relation = computed === '' ? row.user_relation : computed;
      if (computed !== '' && !ctx.model.relation(row.user_type, computed)) continue;
      try {
        const o = this.resolve(row.user_type, row.user_id, relation, depth + 1);
        if (o === TRUE) return TRUE;
        if (o === CYCLE) cycle = true;
      } catch (e) {
        if (!isEvalError(e)) throw e;
        err = e;
      }
    }
    if (!passed && conditionErr) err = conditionErr;
    if (err) throw err;
    return cycle ? CYCLE : FALSE;
  }
}

/**
 * A Check answered from the stored tuple `object#relation@user` alone (no contextual tuples), or
 * undefined when the rest of the graph may matter. Mirrors what `Checker` does at the root:
 * a relation that includes direct assignment (alone or in a union) is allowed when that tuple is
 * readable and its condition holds; a relation that is nothing but direct assignment, without
 * usersets or a wildcard for the user's type, is answered by that tuple alone (its condition's
 * evaluation error included).
 */
export function answerFromOwnTuple(ctx: EvalContext, info: RelationInfo, user: UserParts, objectId: string, tuple: TupleRow | undefined): boolean | undefined {
  if (user.relation === info.name && user.type === info.type && user.id === objectId) return undefined;
  const onlyOwnTuple = info.rewrite.kind === 'this' && info.usersetRefs.length === 0 && !(user.relation === '' && info.wildcardTypes.has(user.type));
  if (!info.refKeys.has(user.relation === '' ? user.type : `${user.type}#${user.relation}`) || tuple === undefined || !ctx.readable(info, tuple)) {
    return onlyOwnTuple ? false : undefined;
  }
  if (onlyOwnTuple) return ctx.holds(tuple);
  try {
    return info.directAllows && ctx.holds(tuple) ? true : undefined;
  } catch (e) {
    if (!isEvalError(e)) throw e;
    return undefined;
  }
}
