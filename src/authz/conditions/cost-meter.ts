import { assertCelAst, callParts, type CelNode, type ComprehensionArgs, type EvaluateFn, operands, staticType } from './cel-ast.ts';
import { actualSize, callCost, LIST_CREATE_COST, MAP_CREATE_COST, SELECT_AND_IDENT_COST, sizedOverload } from './cost-model.ts';
import { CostPlan, isAttribute, isObservedIndex, type MacroInfo, type PlanOptions } from './cost-plan.ts';

/** Thrown inside an evaluation the moment its cost passes the limit (cel-go's cancellation). */
export class CostLimitExceeded extends Error {
  constructor() {
    super('operation cancelled: actual cost limit exceeded');
    this.name = 'CostLimitExceeded';
  }
}

/**
 * One evaluation's running cost. Once past the limit every metered node throws the same error
 * before doing any work: cel-js' `all`/`exists` loops and `||`/`&&` catch errors and carry on,
 * so the rest of the evaluation must cost next to nothing (one throw per remaining element).
 */
class CostTracker {
  cost = 0;
  stop: CostLimitExceeded | undefined;
  /** Elements folded so far by each comprehension being evaluated (innermost last). */
  readonly folds: number[] = [];

  constructor(private readonly limit: number) {}

  get exceeded(): boolean {
    return this.stop !== undefined;
  }

  charge(amount: number): void {
    this.cost += amount;
    if (this.cost > this.limit) throw (this.stop ??= new CostLimitExceeded());
  }
}

export interface Measured<T> {
  cost: number;
  /** The evaluation passed the limit and was stopped; `error` is then meaningless. */
  exceeded: boolean;
  value?: T;
  error?: unknown;
}

type Charge = (failed: boolean, tracker: CostTracker) => number;
interface Slot { value: unknown }

// What cel-go's desugared macros evaluate per element besides the user's predicate/transform
// (accumulator reads, `@not_strictly_false`, `!`, `+`, the one-element list), after the loop,
// and for the loop condition that stops `all`/`exists` early.
const STEP_COST = { all: 3, exists: 4 } as const;
const RESULT_COST: Record<MacroInfo['kind'], number> = { all: 1, exists: 1, exists_one: 2, map: 1, map_filter: 1, filter: 1 };
const EARLY_STOP_COST: Partial<Record<MacroInfo['kind'], number>> = { all: 2, exists: 3 };

/**
 * Meters evaluations of one compiled cel-js program with cel-go's runtime cost model: it
 * replaces each node's `evaluate` with one that runs the node, then charges what cel-go charges
 * for it (from the plan and the values the node and its operands produced) and stops the
 * evaluation as soon as the running cost exceeds the limit. Work is thus bounded by the limit
 * (plus one node's own work), not by the size of the input: a quadratic expression over a long
 * list stops after about `limit` steps.
 */
export class CostMeter {
  #tracker: CostTracker | undefined;
  readonly #slots: Slot[] = [];
  readonly #valueOf = new Map<CelNode, () => unknown>();
  readonly #plan: CostPlan;

  private constructor(options: PlanOptions) {
    this.#plan = new CostPlan(options);
  }

  /** Instruments a type-checked AST (once, at compile time). */
  static install(root: unknown, options: PlanOptions): CostMeter {
    assertCelAst(root);
    const meter = new CostMeter(options);
    const nodes: CelNode[] = [];
    const seen = new Set<CelNode>();
    const visit = (node: CelNode, parent: CelNode | undefined) => {
      if (seen.has(node)) return;
      seen.add(node);
      assertCelAst(node);
      meter.#plan.visit(node, parent);
      nodes.push(node);
      for (const child of evaluatedChildren(node)) visit(child, node);
    };
    visit(root, undefined);
    for (const node of nodes) meter.#instrument(node);
    return meter;
  }

  /** Runs one evaluation under `limit`; never throws. */
  measure<T>(limit: number, run: () => T): Measured<T> {
    const tracker = new CostTracker(limit);
    this.#tracker = tracker;
    try {
      const value = run();
      return { cost: tracker.cost, exceeded: tracker.exceeded, value };
    } catch (error) {
      return { cost: tracker.cost, exceeded: tracker.exceeded, error };
    } finally {
      this.#tracker = undefined;
      for (const slot of this.#slots) slot.value = undefined;
    }
  }

  #instrument(node: CelNode): void {
    if (node.meta.alternate) {
      const alternate = node.meta.alternate;
      this.#valueOf.set(node, () => this.#value(alternate));
      return;
    }
    if (node.op === 'value') return;
    const charge = this.#chargeFor(node);
    if (!charge) return;
    const slot: Slot = { value: undefined };
    this.#slots.push(slot);
    this.#valueOf.set(node, () => slot.value);
    const step = this.#plan.steps.get(node)?.kind;
    const stopValue = step === 'all' ? false : step === 'exists' ? true : undefined;
    this.#wrap(node, slot, charge, this.#plan.macros.has(node) && !this.#plan.skipped.has(node), stopValue);
  }

  /**
   * `stopValue`: for the step of an `all`/`exists` loop, the accumulator value that ends the
   * loop — returned instead of the cost error, which cel-js would catch and go on iterating.
   */
  #wrap(node: CelNode, slot: Slot, charge: Charge, folds: boolean, stopValue: boolean | undefined): void {
    const inner = innerEvaluate(node);
    const meter = this;
    const metered = (tracker: CostTracker, ev: unknown, ast: CelNode, ctx: unknown): unknown => {
      if (tracker.stop) throw tracker.stop;
      if (folds) tracker.folds.push(0);
      let value: unknown;
      try {
        value = inner.call(node, ev, ast, ctx);
      } catch (err) {
        if (!tracker.stop) tracker.charge(charge(true, tracker));
        throw err;
      }
      slot.value = value;
      tracker.charge(charge(false, tracker));
      return value;
    };
    node.evaluate = function meteredEvaluate(ev, ast, ctx) {
      const tracker = meter.#tracker;
      if (tracker === undefined) return inner.call(node, ev, ast, ctx);
      if (stopValue === undefined) return metered(tracker, ev, ast, ctx);
      try {
        return metered(tracker, ev, ast, ctx);
      } catch (err) {
        if (err === tracker.stop) return stopValue;
        throw err;
      }
    };
  }

  #value(node: CelNode): unknown {
    if (node.op === 'value') return node.args;
    return this.#valueOf.get(node)?.();
  }

  #values(nodes: readonly CelNode[], failed: boolean): unknown[] {
    return failed ? [] : nodes.map((n) => this.#value(n));
  }

  #chargeFor(node: CelNode): Charge | undefined {
    const plan = this.#plan;
    if (plan.skipped.has(node)) return () => 0;
    const step = plan.steps.get(node);
    if (step) return this.#stepCharge(step);
    const macro = plan.macros.get(node);
    if (macro) return this.#comprehensionCharge(macro);
    switch (node.op) {
      case 'id':
        return plan.unobservedRoots.has(node) ? () => 0 : () => SELECT_AND_IDENT_COST;
      case '.': case '[]': {
        const [operand, index] = node.args as [CelNode, CelNode | string];
        const relative = isAttribute(operand) || plan.unobservedRelative.has(node) ? 0 : SELECT_AND_IDENT_COST;
        const qualifier = typeof index === 'string' || !isObservedIndex(index) ? SELECT_AND_IDENT_COST : 0;
        const cost = relative + qualifier;
        return () => cost;
      }
      case '?:': case '&&': case '||': case 'accuValue': case 'accuInc': case 'accuPush':
        return () => 0;
      case '!_': case '-_': {
        const cost = plan.unaryCost.get(node) ?? 1;
        return () => cost;
      }
      case 'list': {
        const cost = plan.constant(node) ? 0 : LIST_CREATE_COST;
        return () => cost;
      }
      case 'map': {
        const cost = plan.constant(node) ? 0 : MAP_CREATE_COST;
        return () => cost;
      }
      case 'call': case 'rcall': {
        if (node.meta.macro) {
          const selects = (node.meta.macro.macroHasProps?.length ?? 1) - 1;
          return () => selects;
        }
        if (plan.constant(node)) return () => 0;
        const { name, member, args } = callParts(node);
        return this.#callCharge(name, member, args);
      }
      case 'in':
        if (plan.constant(node) || plan.setMembership(node)) return () => 0;
        return this.#callCharge('in', false, node.args as CelNode[]);
      default:
        return this.#callCharge(node.op, false, node.args as CelNode[]);
    }
  }

  #callCharge(name: string, member: boolean, args: CelNode[]): Charge {
    const overload = sizedOverload(name, member, args.map(staticType));
    if (overload === undefined) return () => 1;
    return (failed) => callCost(overload, this.#values(args, failed));
  }

  #stepCharge(macro: MacroInfo): Charge {
    const listCost = macro.constantTransform ? 0 : LIST_CREATE_COST;
    const predicate = macro.predicate;
    return (failed, tracker) => {
      const top = tracker.folds.length - 1;
      if (top >= 0) tracker.folds[top] = (tracker.folds[top] as number) + 1;
      switch (macro.kind) {
        case 'all': case 'exists':
          return STEP_COST[macro.kind];
        case 'map':
          return 2 + listCost;
        default: {
          if (failed || !predicate || this.#value(predicate) !== true) return 0;
          return macro.kind === 'exists_one' ? 2 : macro.kind === 'filter' ? 2 + LIST_CREATE_COST : 2 + listCost;
        }
      }
    };
  }

  #comprehensionCharge(macro: MacroInfo): Charge {
    const { iterable } = macro.comprehension.args as ComprehensionArgs;
    const earlyStop = EARLY_STOP_COST[macro.kind] ?? 0;
    return (failed, tracker) => {
      const folded = tracker.folds.pop() ?? 0;
      if (failed) return RESULT_COST[macro.kind];
      const stopped = earlyStop > 0 && folded < actualSize(this.#value(iterable));
      return RESULT_COST[macro.kind] + (stopped ? earlyStop : 0);
    };
  }
}

/** The nodes evaluating `node` runs: a macro's expansion, `has()`'s root identifier, or its operands. */
function evaluatedChildren(node: CelNode): CelNode[] {
  if (node.meta.alternate) return [node.meta.alternate];
  const props = node.meta.macro?.macroHasProps;
  if (props) return props.length > 0 ? [props[props.length - 1] as CelNode] : [];
  if (node.meta.macro) throw new Error('unexpected cel-js macro: condition cost metering cannot be installed');
  return operands(node);
}

function innerEvaluate(node: CelNode): EvaluateFn {
  const macro = node.meta.macro;
  if (macro) return (ev, _ast, ctx) => macro.evaluate(ev, macro, ctx);
  return node.meta.evaluate;
}
