import { RE2JS } from 're2js';
import { operands, type CelNode } from './cel-ast.ts';

/** Compiled patterns, most recent last (conditions repeat a handful of patterns). */
const compiled = new Map<string, RE2JS>();
const MAX_COMPILED = 256;

/**
 * `matches` as cel-go runs it: RE2 (re2js, a port of RE2/J), in time linear in the input, with
 * RE2's syntax (`(?i)` flags, no backreferences or lookaround) and partial-match semantics. A
 * backtracking JavaScript RegExp takes exponential time on patterns such as `^(a+)+$`, and a
 * Check runs synchronously on the event loop, so one request with a 40-character string would
 * stop the whole process, every tenant's requests with it. A pattern RE2 refuses is an
 * evaluation error, as in OpenFGA.
 */
export function matchesLinear(text: string, pattern: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    try {
      re = RE2JS.compile(pattern);
    } catch {
      throw new Error(`Invalid regular expression: ${pattern}`);
    }
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(pattern, re);
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
