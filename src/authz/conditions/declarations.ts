import { callParts, type CelNode, lineColumn, operands } from './cel-ast.ts';

/**
 * The functions of OpenFGA's condition environment: cel-go's standard library (no extensions)
 * plus OpenFGA's `ipaddress` and `in_cidr`, and the standard macros. cel-js also offers
 * extension functions (`lowerAscii`, `split`, `join`, `cel.bind`, …) that OpenFGA rejects at
 * model write; so does Portcullis — they are not part of the language OpenFGA models use, and
 * cel-go's cost model has no price for them (`cel.bind` would let a cheap expression build
 * exponentially large values).
 */
const GLOBAL = new Set([
  'has', 'size', 'type', 'bool', 'bytes', 'double', 'duration', 'dyn', 'int', 'string', 'timestamp', 'uint', 'matches',
  'ipaddress',
]);
const MEMBER = new Set([
  'all', 'exists', 'exists_one', 'map', 'filter',
  'size', 'contains', 'endsWith', 'startsWith', 'matches',
  'getFullYear', 'getMonth', 'getDayOfYear', 'getDayOfMonth', 'getDate', 'getDayOfWeek',
  'getHours', 'getMinutes', 'getSeconds', 'getMilliseconds',
  'in_cidr',
]);

/**
 * Throws cel-go's "undeclared reference" error (first line, with cel-go's position) for the
 * first function or namespace of `root` outside OpenFGA's environment.
 */
export function assertOpenFgaDeclarations(root: CelNode, conditionName: string, parameters: ReadonlySet<string>): void {
  const undeclared = (name: string, offset: number): never => {
    const { line, column } = lineColumn(root.input, offset);
    throw new Error(`ERROR: ${conditionName}:${line}:${column}: undeclared reference to '${name}' (in container '')`);
  };
  const visit = (node: CelNode): void => {
    const isNamespace = (n: CelNode | undefined) => n?.op === 'id' && n.args === 'cel' && !parameters.has('cel');
    if (isNamespace(node)) undeclared('cel', node.start);
    if (node.op === 'call' || node.op === 'rcall') {
      const { name, args, member } = callParts(node);
      if (member && isNamespace(args[0])) undeclared('cel', node.start);
      if (!(member ? MEMBER : GLOBAL).has(name)) {
        const from = member ? (args[0] as CelNode).end : node.start;
        undeclared(name, Math.max(node.input.indexOf('(', from), node.start));
      }
      for (const arg of args) visit(arg);
      return;
    }
    for (const child of operands(node)) visit(child);
  };
  visit(root);
}
