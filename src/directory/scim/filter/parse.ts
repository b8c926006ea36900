import { parse, type AttrExp, type Filter } from 'scim2-parse-filter';
import type { Normalisations } from '../dialects.ts';
import { invalidFilter } from '../errors.ts';

export const MAX_FILTER_LENGTH = 4096;
const MAX_FILTER_NODES = 200;
const UNQUOTED = /(\s(?:eq|ne|co|sw|ew|gt|ge|lt|le)\s+)([^\s"()[\]]+)(?=\s|\)|\]|$)/gi;

/**
 * Parses a filter with scim2-parse-filter (its AST only: its matcher is case-sensitive).
 * Accepts Entra's legacy unquoted comparison values (noted), merges `attr[f].sub op v` into one
 * value filter so both conditions hold on the same value, and caps the size of what is accepted.
 */
export function parseFilter(text: string, n: Normalisations): Filter {
  if (text.length > MAX_FILTER_LENGTH) throw invalidFilter(`The filter is longer than ${MAX_FILTER_LENGTH} characters.`);
  let ast: Filter;
  try {
    ast = parse(text);
  } catch (err) {
    const quoted = text.replace(UNQUOTED, (all, op: string, word: string) =>
      /^(true|false|null|-?\d+(\.\d+)?([eE][-+]?\d+)?)$/.test(word) ? all : `${op}${JSON.stringify(word)}`,
    );
    try {
      if (quoted === text) throw err;
      ast = parse(quoted);
      n.note('unquoted_filter_value', `filter ${JSON.stringify(text).slice(0, 200)} read as ${JSON.stringify(quoted).slice(0, 200)}`);
    } catch {
      throw invalidFilter(`The filter is not valid: ${(err as Error).message}`);
    }
  }
  if (countNodes(ast) > MAX_FILTER_NODES) throw invalidFilter(`The filter has more than ${MAX_FILTER_NODES} expressions.`);
  return mergeValuePaths(ast);
}

function countNodes(f: Filter): number {
  switch (f.op) {
    case 'and':
    case 'or':
      return 1 + f.filters.reduce((n, x) => n + countNodes(x), 0);
    case 'not':
      return 1 + countNodes(f.filter);
    case '[]':
      return 1 + countNodes(f.valFilter);
    default:
      return 1;
  }
}

function mergeValuePaths(f: Filter): Filter {
  switch (f.op) {
    case 'and': {
      const [first, second] = f.filters;
      if (
        f.filters.length === 2 &&
        first?.op === '[]' &&
        second &&
        isAttrExp(second) &&
        second.attrPath.toLowerCase().startsWith(`${first.attrPath.toLowerCase()}.`)
      ) {
        const sub = { ...second, attrPath: second.attrPath.slice(first.attrPath.length + 1) } as Filter;
        return { op: '[]', attrPath: first.attrPath, valFilter: { op: 'and', filters: [first.valFilter, sub] } };
      }
      return { op: 'and', filters: f.filters.map(mergeValuePaths) };
    }
    case 'or':
      return { op: 'or', filters: f.filters.map(mergeValuePaths) };
    case 'not':
      return { op: 'not', filter: mergeValuePaths(f.filter) };
    default:
      return f;
  }
}

const isAttrExp = (f: Filter): f is AttrExp => f.op !== 'and' && f.op !== 'or' && f.op !== 'not' && f.op !== '[]';
