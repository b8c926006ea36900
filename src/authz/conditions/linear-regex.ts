import { setFlagsFromString } from 'node:v8';
import { operands, type CelNode } from './cel-ast.ts';

let enabled = false;

/**
 * `matches` as cel-go runs it: in time linear in the input (Go's RE2 engine). A backtracking
 * JavaScript RegExp takes exponential time on patterns such as `^(a+)+$`, and a Check runs
 * synchronously on the event loop, so one request with a 40-character string would stop the
 * whole process, every tenant's requests with it. V8's linear-time engine (the `l` flag, behind
 * `--enable-experimental-regexp-engine`) refuses, like RE2, what it cannot run in linear time
 * (backreferences, lookaround): that is an evaluation error, never a slow answer.
 */
export function matchesLinear(text: string, pattern: string): boolean {
  if (!enabled) {
    setFlagsFromString('--enable-experimental-regexp-engine');
    enabled = true;
  }
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'l');
  } catch {
    throw new Error(`Invalid regular expression: ${pattern}`);
  }
  return re.test(text);
}

type Handle = (args: unknown[], ev: unknown, ast: unknown) => unknown;

/**
 * Points every receiver call `s.matches(p)` of a type-checked cel-js AST at `matchesLinear`
 * (cel-js' own overload uses a backtracking RegExp and cannot be re-registered). A call whose
 * operands are not both strings keeps cel-js' dispatch and its "no such overload" error.
 */
export function useLinearMatches(root: CelNode): void {
  const seen = new Set<CelNode>();
  const visit = (node: CelNode) => {
    if (seen.has(node)) return;
    seen.add(node);
    const call = node as CelNode & { handle?: Handle };
    if (node.op === 'rcall' && (node.args as [string])[0] === 'matches' && typeof call.handle === 'function') {
      const dispatch = call.handle;
      call.handle = (args, ev, ast) =>
        typeof args[0] === 'string' && typeof args[1] === 'string' && args.length === 2 ? matchesLinear(args[0], args[1]) : dispatch(args, ev, ast);
    }
    if (node.meta.alternate) visit(node.meta.alternate);
    for (const prop of node.meta.macro?.macroHasProps ?? []) visit(prop);
    if (!node.meta.macro) for (const child of operands(node)) visit(child);
  };
  visit(root);
}
