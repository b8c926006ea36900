import { callParts, type CelNode, type ComprehensionArgs, operands, staticType } from './cel-ast.ts';

/**
 * The static half of cel-go's cost accounting: what cel-go's planner makes of each node of a
 * checked cel-js AST, which decides what the node costs when it runs.
 *
 * - With `constantFolding` (OpenFGA plans programs with `cel.OptOptimize`), list and map
 *   literals of constants, type conversions of constants and `x in []` are constants (cost 0),
 *   and `x in [constant primitives]` is a set lookup (0 besides `x`).
 * - Identifiers, selects and indexes are *attributes*: a chain `m.a[k]` costs one per
 *   identifier and qualifier; a select or index on something else (`f(x).a`) also pays for
 *   observing the intermediate result.
 * - A ternary's branches are resolved without observing their root attribute (so
 *   `c ? m.a : 0` costs the condition plus 1), and `-1` is a literal while `!!x` is just `x`.
 */
export interface PlanOptions {
  constantFolding: boolean;
}

export type MacroKind = 'all' | 'exists' | 'exists_one' | 'map' | 'map_filter' | 'filter';

export interface MacroInfo {
  kind: MacroKind;
  comprehension: CelNode;
  /** The per-element condition (`filter`, `map` with a filter, `exists_one`); it decides the step's cost. */
  predicate: CelNode | undefined;
  /** `map`'s transform is a constant: `[transform]` is a constant list. */
  constantTransform: boolean;
}

const CONVERSIONS = new Set(['bool', 'bytes', 'double', 'duration', 'dyn', 'int', 'string', 'timestamp', 'type', 'uint']);
const PRIMITIVES = new Set(['bool', 'int', 'uint', 'double', 'string']);
const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

export class CostPlan {
  /** Identifiers not observed on their own (a ternary branch root). */
  readonly unobservedRoots = new Set<CelNode>();
  /** Selects/indexes on a non-attribute whose intermediate result is not observed (ternary branch). */
  readonly unobservedRelative = new Set<CelNode>();
  /** Nodes cel-go never evaluates (the operand of a folded `x in []`). */
  readonly skipped = new Set<CelNode>();
  /** Comprehension node → its macro, and macro step node → its macro. */
  readonly macros = new Map<CelNode, MacroInfo>();
  readonly steps = new Map<CelNode, MacroInfo>();
  /** Cost of each `!`/`-` node (a chain of n costs n mod 2, charged on its outermost node). */
  readonly unaryCost = new Map<CelNode, number>();
  readonly #constant = new Map<CelNode, boolean>();

  constructor(readonly options: PlanOptions) {}

  /** Records what the planner would do with `node` (called once per reachable node, parents first). */
  visit(node: CelNode, parent: CelNode | undefined): void {
    switch (node.op) {
      case '?:':
        if (!this.steps.has(node)) for (const branch of (node.args as CelNode[]).slice(1)) this.#markBranch(branch);
        break;
      case '!_': case '-_': {
        if (parent?.op === node.op && parent.args === node) {
          this.unaryCost.set(node, 0);
          break;
        }
        let length = 1;
        for (let n = node.args as CelNode; n.op === node.op; n = n.args as CelNode) length++;
        this.unaryCost.set(node, length === 1 && this.#isNegativeLiteral(node) ? 0 : length % 2);
        break;
      }
      case 'rcall': {
        const alternate = node.meta.alternate;
        const { name, args } = callParts(node);
        if (alternate?.op === 'comprehension' && MACROS.has(name)) this.#recordMacro(name, args, alternate);
        break;
      }
      case 'in':
        if (this.constant(node)) this.#skip((node.args as CelNode[])[0] as CelNode);
        break;
    }
  }

  /** The node is a constant after cel-go's constant folding (never true without folding). */
  constant(node: CelNode): boolean {
    if (!this.options.constantFolding) return node.op === 'value';
    let known = this.#constant.get(node);
    if (known === undefined) {
      known = this.#computeConstant(node);
      this.#constant.set(node, known);
    }
    return known;
  }

  /** `x in [primitive constants]` becomes a set lookup that costs nothing itself. */
  setMembership(node: CelNode): boolean {
    const list = (node.args as CelNode[])[1] as CelNode;
    return this.options.constantFolding && list.op === 'list' && this.constant(list) &&
      (list.args as CelNode[]).every((e) => PRIMITIVES.has(staticType(e)));
  }

  #computeConstant(node: CelNode): boolean {
    switch (node.op) {
      case 'value': return true;
      case 'id': return node.meta.alternate?.op === 'value';
      case '-_': return this.#isNegativeLiteral(node);
      case 'list': return (node.args as CelNode[]).every((e) => this.constant(e));
      case 'map': return (node.args as [CelNode, CelNode][]).every(([k, v]) => this.constant(k) && this.constant(v));
      case 'call': {
        const { name, args } = callParts(node);
        return CONVERSIONS.has(name) && args.length === 1 && this.constant(args[0] as CelNode);
      }
      case 'in': {
        const list = (node.args as CelNode[])[1] as CelNode;
        return list.op === 'list' && (list.args as CelNode[]).length === 0;
      }
      default: return false;
    }
  }

  /** `-1` is a negative literal in cel-go's grammar; `-(1)` and `-x` are negations. */
  #isNegativeLiteral(node: CelNode): boolean {
    const operand = node.args as CelNode;
    if (node.op !== '-_' || operand.op !== 'value') return false;
    if (typeof operand.args !== 'bigint' && typeof operand.args !== 'number') return false;
    return node.input.slice(node.start, operand.start).trim() === '-' && /^[\d.]/.test(node.input.slice(operand.start));
  }

  #markBranch(branch: CelNode): void {
    if (branch.op === 'id') {
      if (!branch.meta.alternate) this.unobservedRoots.add(branch);
      return;
    }
    if (branch.op !== '.' && branch.op !== '[]') return;
    let chain = branch;
    let root = (chain.args as CelNode[])[0] as CelNode;
    while (root.op === '.' || root.op === '[]') {
      chain = root;
      root = (chain.args as CelNode[])[0] as CelNode;
    }
    if (root.op === 'id' && !root.meta.alternate) this.unobservedRoots.add(root);
    else if (root.op !== '?:') this.unobservedRelative.add(chain);
  }

  #recordMacro(name: string, args: CelNode[], comprehension: CelNode): void {
    const { step } = comprehension.args as ComprehensionArgs;
    const kind: MacroKind = name === 'map' && args.length === 4 ? 'map_filter' : (name as MacroKind);
    const withPredicate = kind === 'filter' || kind === 'map_filter' || kind === 'exists_one';
    const transform = kind === 'map' ? args[2] : kind === 'map_filter' ? args[3] : undefined;
    const info: MacroInfo = {
      kind,
      comprehension,
      predicate: withPredicate ? ((step.args as CelNode[])[0] as CelNode) : undefined,
      constantTransform: transform !== undefined && this.constant(transform),
    };
    this.macros.set(comprehension, info);
    this.steps.set(step, info);
  }

  #skip(node: CelNode): void {
    this.skipped.add(node);
    for (const child of node.meta.alternate ? [node.meta.alternate] : operands(node)) this.#skip(child);
  }
}

/** The operand is an attribute in cel-go (a select or index on it adds a qualifier, no observation). */
export function isAttribute(node: CelNode): boolean {
  return (node.op === 'id' && !node.meta.alternate) || node.op === '.' || node.op === '[]' || node.op === '?:';
}

/** An index whose own evaluation stands for cel-go's observation of the qualifier. */
export function isObservedIndex(node: CelNode): boolean {
  return (node.op === 'id' && !node.meta.alternate) || node.op === '.' || node.op === '[]';
}
