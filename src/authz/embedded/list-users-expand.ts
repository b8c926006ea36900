import type { OpenFgaError } from '../errors.ts';
import type { Rewrite } from '../model/rewrite.ts';
import { EvalContext, isEvalError, MAX_RESOLUTION_DEPTH, resolutionTooComplex } from './eval-context.ts';
import { rowUser, type TupleRow } from './tuple-row.ts';

/**
 * OpenFGA's ListUsers expansion (`pkg/server/commands/listusers`), synchronous: from the object
 * down through every rewrite operand, collecting users of the filter's type and usersets
 * matching the filter, and combining operands the way OpenFGA does — including how typed
 * wildcards stand in for every user under intersections and exclusions, and how an exclusion
 * reports users it removed ("no relationship") so that an outer exclusion can restore them.
 * A condition that cannot be evaluated anywhere, or an expansion deeper than the resolution
 * limit, fails the whole request.
 */
export interface Found {
  user: string;
  excluded: readonly string[];
  has: boolean;
}

interface Expansion {
  found: Found[];
  cycle: boolean;
  /** As in OpenFGA, errors travel with results (an exclusion whose subtrahend hit a cycle drops them). */
  error?: OpenFgaError;
}

/** Joined errors: a too-deep resolution outranks a failed condition, as in OpenFGA's mapping. */
function join(a: OpenFgaError | undefined, b: OpenFgaError | undefined): OpenFgaError | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.code === 'authorization_model_resolution_too_complex' ? b : a;
}

const HAS = (user: string, excluded: readonly string[] = []): Found => ({ user, excluded, has: true });
const NO = (user: string, excluded: readonly string[] = []): Found => ({ user, excluded, has: false });

export class UserExpander {
  readonly #path = new Set<string>();

  constructor(
    private readonly ctx: EvalContext,
    private readonly filterType: string,
    private readonly filterRelation: string,
  ) {}

  /** The users found, with OpenFGA's final "has relationship" verdict per user. */
  run(type: string, id: string, relation: string): Map<string, boolean> {
    const { found, error } = this.#expand(type, id, relation, 0);
    if (error) throw error;
    const verdict = new Map<string, boolean>();
    for (const f of found) verdict.set(f.user, (verdict.get(f.user) ?? false) || f.has);
    return verdict;
  }

  #expand(type: string, id: string, relation: string, depth: number): Expansion {
    if (depth >= MAX_RESOLUTION_DEPTH) return { found: [], cycle: false, error: resolutionTooComplex() };
    const key = `${type}:${id}#${relation}`;
    if (this.#path.has(key)) return { found: [], cycle: true };
    const found: Found[] = [];
    if (type === this.filterType && relation === this.filterRelation) found.push(HAS(key));
    const info = this.ctx.model.relation(type, relation);
    if (!info) return { found, cycle: false };
    this.#path.add(key);
    try {
      const sub = this.#rewrite(type, id, relation, info.rewrite, depth + 1);
      found.push(...sub.found);
      return { found, cycle: sub.cycle, error: sub.error };
    } finally {
      this.#path.delete(key);
    }
  }

  #rewrite(type: string, id: string, relation: string, node: Rewrite, depth: number): Expansion {
    switch (node.kind) {
      case 'this':
        return this.#direct(type, id, relation, depth);
      case 'computed':
        return this.#expand(type, id, node.relation, depth);
      case 'ttu': {
        const rows = this.#tuples(type, id, node.tupleset);
        const found: Found[] = [];
        let error = rows.error;
        for (const row of rows.rows) {
          const sub = this.#expand(row.user_type, row.user_id, node.computed, depth);
          found.push(...sub.found);
          error = join(error, sub.error);
        }
        return { found, cycle: false, error };
      }
      case 'union':
      case 'intersection': {
        const children = node.children.map((c) => this.#rewrite(type, id, relation, c, depth));
        const found = children.map((c) => c.found);
        const error = children.reduce<OpenFgaError | undefined>((e, c) => join(e, c.error), undefined);
        return { found: node.kind === 'union' ? this.#union(found) : this.#intersection(found), cycle: false, error };
      }
      case 'difference': {
        const base = this.#rewrite(type, id, relation, node.base, depth);
        const subtract = this.#rewrite(type, id, relation, node.subtract, depth);
        if (subtract.cycle) return { found: [], cycle: false };
        return { found: this.#exclusion(base.found, subtract.found), cycle: false, error: join(base.error, subtract.error) };
      }
    }
  }

  #direct(type: string, id: string, relation: string, depth: number): Expansion {
    const rows = this.#tuples(type, id, relation);
    const found: Found[] = [];
    let cycle = false;
    let error = rows.error;
    for (const row of rows.rows) {
      if (row.user_relation === '') {
        if (row.user_type === this.filterType) found.push(HAS(rowUser(row)));
        continue;
      }
      const sub = this.#expand(row.user_type, row.user_id, row.user_relation, depth);
      found.push(...sub.found);
      cycle ||= sub.cycle;
      error = join(error, sub.error);
    }
    return { found, cycle, error };
  }

  /** Readable tuples on `type:id#relation` whose condition holds, and the first evaluation error. */
  #tuples(type: string, id: string, relation: string): { rows: TupleRow[]; error?: OpenFgaError } {
    const info = this.ctx.model.relation(type, relation);
    if (!info) return { rows: [] };
    let error: OpenFgaError | undefined;
    const rows = this.ctx.tuples.readByObject(type, id, relation).filter((row) => {
      if (!this.ctx.readable(info, row)) return false;
      try {
        return this.ctx.holds(row);
      } catch (e) {
        if (!isEvalError(e)) throw e;
        error ??= e;
        return false;
      }
    });
    return { rows, error };
  }

  #union(children: Found[][]): Found[] {
    const users = new Set<string>();
    const excludedCount = new Map<string, number>();
    for (const found of children) {
      for (const f of found) {
        for (const e of f.excluded) excludedCount.set(e, (excludedCount.get(e) ?? 0) + 1);
        if (f.has) users.add(f.user);
      }
    }
    const excluded = [...excludedCount].filter(([, n]) => n === children.length).map(([u]) => u);
    return [...users].map((u) => HAS(u, excluded));
  }

  #intersection(children: Found[][]): Found[] {
    const wildcard = `${this.filterType}:*`;
    const counts = new Map<string, number>();
    const excludedAll = new Set<string>();
    let wildcards = 0;
    for (const found of children) {
      const mine = new Set<string>();
      for (const f of found) {
        for (const e of f.excluded) excludedAll.add(e);
        if (f.has) mine.add(f.user);
      }
      const hasWildcard = mine.has(wildcard);
      if (hasWildcard) wildcards++;
      for (const u of mine) counts.set(u, (counts.get(u) ?? 0) + (hasWildcard ? 0 : 1));
    }
    const excluded = [...excludedAll];
    return [...counts]
      .filter(([u, n]) => !excludedAll.has(u) && n + wildcards === children.length)
      .map(([u]) => HAS(u, excluded));
  }

  #exclusion(base: Found[], subtract: Found[]): Found[] {
    const wildcard = `${this.filterType}:*`;
    const baseMap = latest(base);
    const subMap = latest(subtract);
    const out: Found[] = [];
    const baseWildcard = baseMap.has(wildcard);
    const subWildcard = subMap.has(wildcard);
    for (const [user, f] of baseMap) {
      const sub = subMap.get(user);
      if (baseWildcard) {
        if (!sub && !subWildcard) out.push(HAS(user));
        for (const [subUser, s] of subMap) {
          if (subUser === wildcard || subUser.endsWith(':*')) {
            if (!sub) out.push(NO(user));
            continue;
          }
          out.push(s.has ? NO(subUser, [subUser]) : HAS(subUser));
        }
      } else if (subWildcard || sub) {
        out.push(sub === undefined || sub.has ? NO(user) : HAS(user));
      } else {
        out.push(f.has ? HAS(user) : NO(user));
      }
    }
    return out;
  }
}

/** Go-map semantics of OpenFGA's exclusion: per user, a "has" event wins over "no" (order is racy there). */
function latest(found: Found[]): Map<string, Found> {
  const map = new Map<string, Found>();
  for (const f of found) {
    const known = map.get(f.user);
    if (!known || (!known.has && f.has)) map.set(f.user, f);
  }
  return map;
}
