/**
 * The parts of `@marcbachmann/cel-js` 8's parsed AST that cost metering reads and instruments.
 * These are the library's internals (pinned in package.json): every node evaluates through its
 * own `evaluate(ev, ast, ctx)` (the evaluator's `run` calls it), `meta.evaluate` is the
 * operator's implementation once the node is type-checked, `meta.alternate` the node a macro
 * expanded to, and `meta.macro` the evaluator of `has()`. `assertCelAst` fails closed at compile
 * time if an upgrade changes that shape.
 */
export type EvaluateFn = (ev: unknown, ast: CelNode, ctx: unknown) => unknown;

export interface CelNode {
  readonly op: string;
  readonly args: unknown;
  readonly meta: {
    evaluate: EvaluateFn;
    alternate?: CelNode;
    macro?: { evaluate: (ev: unknown, macro: unknown, ctx: unknown) => unknown; macroHasProps?: CelNode[] };
  };
  readonly checkedType?: { kind: string; name: string };
  readonly start: number;
  readonly end: number;
  readonly input: string;
  evaluate: EvaluateFn;
}

/** The comprehension a macro call (`xs.all(x, …)`) expands to. */
export interface ComprehensionArgs {
  iterable: CelNode;
  init: CelNode;
  step: CelNode;
  iterVarName: string;
}

export function assertCelAst(node: unknown): asserts node is CelNode {
  const n = node as Partial<CelNode> | null;
  if (!n || typeof n.op !== 'string' || typeof n.meta?.evaluate !== 'function' || typeof n.evaluate !== 'function') {
    throw new Error('unexpected @marcbachmann/cel-js AST shape: condition cost metering cannot be installed');
  }
}

/** `(name, args)` of a global call or `(name, [receiver, ...args])` of a receiver call. */
export function callParts(node: CelNode): { name: string; args: CelNode[]; member: boolean } {
  if (node.op === 'call') {
    const [name, args] = node.args as [string, CelNode[]];
    return { name, args, member: false };
  }
  const [name, receiver, args] = node.args as [string, CelNode, CelNode[]];
  return { name, args: [receiver, ...args], member: true };
}

/** The nodes a node's own evaluation may run (not through a macro's alternate). */
export function operands(node: CelNode): CelNode[] {
  switch (node.op) {
    case 'value': case 'id': case 'accuValue': case 'accuInc':
      return [];
    case '.': case '.?':
      return [(node.args as [CelNode, string])[0]];
    case '!_': case '-_': case 'accuPush':
      return [node.args as CelNode];
    case 'call': case 'rcall':
      return callParts(node).args;
    case 'map':
      return (node.args as [CelNode, CelNode][]).flat();
    case 'comprehension': {
      const c = node.args as ComprehensionArgs;
      return [c.iterable, c.init, c.step];
    }
    default:
      return node.args as CelNode[];
  }
}

/** A static type name as cel-js checked it (`dyn` for anything dynamic). */
export function staticType(node: CelNode): string {
  const t = node.checkedType;
  if (!t) return 'dyn';
  return t.kind === 'dyn' ? 'dyn' : t.kind === 'list' || t.kind === 'map' ? t.kind : t.name;
}

/** 1-based line and column of an offset in the expression, as cel-go reports positions. */
export function lineColumn(input: string, offset: number): { line: number; column: number } {
  const before = input.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
