/**
 * cel-go's runtime cost model (`interpreter/runtimecost.go`, `common/cost.go` of cel-go 0.28,
 * the version OpenFGA 1.18 evaluates conditions with): every identifier, select and index costs
 * 1, constants 0, creating a list 10 and a map 30, a function call 1 — except the calls whose
 * work grows with their operands, priced from the operands' actual sizes (string length in code
 * points, list and map length) below. Macros cost what their expansion evaluates, per element.
 */
export const SELECT_AND_IDENT_COST = 1;
export const LIST_CREATE_COST = 10;
export const MAP_CREATE_COST = 30;
const STRING_TRAVERSAL_FACTOR = 0.1;
const REGEX_LENGTH_FACTOR = 0.25;

/** OpenFGA's `DefaultMaxConditionEvaluationCost`, also its lowest accepted value. */
export const DEFAULT_MAX_CONDITION_COST = 100;

/** cel-go's `actualSize`: the size of strings, bytes, lists and maps; 1 for anything else. */
export function actualSize(value: unknown): number {
  if (typeof value === 'string') return codePoints(value);
  if (Array.isArray(value) || value instanceof Uint8Array) return value.length;
  if (value instanceof Map || value instanceof Set) return value.size;
  if (value !== null && typeof value === 'object' && (value.constructor === Object || value.constructor === undefined)) {
    return Object.keys(value).length;
  }
  return 1;
}

function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** `ceil(size × 0.1)` in float64 arithmetic, exactly as cel-go computes it. */
const traversal = (size: number) => Math.ceil(size * STRING_TRAVERSAL_FACTOR);

/**
 * The overloads cel-go prices by operand size. cel-go picks the price by the overload id its
 * type checker resolved; when the operands are dynamic and several overloads remain, it has no
 * id and charges 1, so the caller passes the overload only when static types pin it.
 */
export type SizedOverload =
  | 'equals' | 'compare_string' | 'add_string' | 'in_list' | 'starts_with' | 'ends_with'
  | 'contains' | 'matches_string' | 'string_to_bytes' | 'bytes_to_string';

/** The cost of one call: `values` are the evaluated arguments (a receiver first). */
export function callCost(overload: SizedOverload | undefined, values: readonly unknown[]): number {
  switch (overload) {
    case 'starts_with':
    case 'ends_with':
    case 'string_to_bytes':
    case 'bytes_to_string':
      return traversal(actualSize(values[0]));
    case 'in_list':
      return actualSize(values[1]);
    case 'equals':
    case 'compare_string':
      return traversal(Math.min(actualSize(values[0]), actualSize(values[1])));
    case 'add_string':
      return traversal(actualSize(values[0]) + actualSize(values[1]));
    case 'matches_string':
      return Math.ceil((1 + actualSize(values[0])) * STRING_TRAVERSAL_FACTOR) * Math.ceil(actualSize(values[1]) * REGEX_LENGTH_FACTOR);
    case 'contains':
      return traversal(actualSize(values[0])) * traversal(actualSize(values[1]));
    default:
      return 1;
  }
}

const isText = (t: string) => t === 'string' || t === 'bytes';
const textOrDyn = (t: string) => isText(t) || t === 'dyn';

/**
 * Which sized overload cel-go's checker resolves for an operator or function, from the static
 * types of its arguments (receiver first); undefined for the ones priced at 1.
 */
export function sizedOverload(fn: string, member: boolean, types: readonly string[]): SizedOverload | undefined {
  const [a = 'dyn', b = 'dyn'] = types;
  switch (fn) {
    case '==': case '!=':
      return 'equals';
    case '<': case '<=': case '>': case '>=':
      return (isText(a) && textOrDyn(b)) || (isText(b) && textOrDyn(a)) ? 'compare_string' : undefined;
    case '+':
      return (isText(a) && textOrDyn(b)) || (isText(b) && textOrDyn(a)) ? 'add_string' : undefined;
    case 'in':
      return b === 'list' ? 'in_list' : undefined;
    case 'startsWith': return member ? 'starts_with' : undefined;
    case 'endsWith': return member ? 'ends_with' : undefined;
    case 'contains': return member ? 'contains' : undefined;
    case 'matches': return member ? 'matches_string' : undefined;
    case 'bytes': return !member && a === 'string' ? 'string_to_bytes' : undefined;
    case 'string': return !member && a === 'bytes' ? 'bytes_to_string' : undefined;
    default:
      return undefined;
  }
}
