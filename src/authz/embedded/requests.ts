import type { TupleKey } from '@openfga/sdk';
import { fgaError, validationError } from '../errors.ts';
import type { CompiledModel } from '../model/compile.ts';
import { containsForbiddenChars } from '../model/keys.ts';
import { rowFromKey, type TupleRow } from './tuple-row.ts';
import { describeProblem, writeProblem } from './tuple-validation.ts';

/**
 * Request checks every query shares: the field patterns OpenFGA's API enforces before a request
 * reaches its engine, contextual tuples (at most 100, each valid for writing under the model)
 * and the request context (an object without control characters).
 */
export const MAX_CONTEXTUAL_TUPLES = 100;

const OBJECT = /^[^\s]{2,256}$/;
const RELATION = /^[^:#@\s]{1,50}$/;
const USER = /^[^\s]{2,512}$/;
const TYPE = /^[^:#@\s]{1,254}$/;

function requireString(value: unknown, field: string, pattern: RegExp): string {
  if (typeof value !== 'string' || value === '') throw validationError(`invalid ${field}: value is required`);
  if (!pattern.test(value)) throw validationError(`invalid ${field}: value does not match regex pattern "${pattern.source}"`);
  return value;
}

/** A `{user, relation, object}` key as Check and BatchCheck take it. */
export function requireTupleKey(tk: unknown, request: string): { user: string; relation: string; object: string } {
  if (typeof tk !== 'object' || tk === null) throw fgaError('tuple_key_value_not_specified', `invalid ${request}.TupleKey: value is required`);
  const key = tk as Record<string, unknown>;
  return {
    object: requireString(key.object, `${request}TupleKey.Object`, OBJECT),
    relation: requireString(key.relation, `${request}TupleKey.Relation`, RELATION),
    user: requireString(key.user, `${request}TupleKey.User`, USER),
  };
}

export function requireObject(value: unknown, field: string): string {
  return requireString(value, field, OBJECT);
}

export function requireRelation(value: unknown, field: string): string {
  return requireString(value, field, RELATION);
}

/** A type name; OpenFGA answers a missing or malformed one with `type_invalid_pattern` (its message escapes the backslash). */
export function requireType(value: unknown, field: string): string {
  if (typeof value !== 'string' || !TYPE.test(value)) {
    throw fgaError('type_invalid_pattern', `invalid ${field}: value does not match regex pattern "${TYPE.source.replace('\\', '\\\\')}"`);
  }
  return value;
}

export function requireUser(value: unknown, field: string): string {
  return requireString(value, field, USER);
}

/**
 * The request's contextual tuples as rows. `invalidAs` is how the API reports a tuple that does
 * not fit the model: Check always says `invalid_tuple`; ListObjects and ListUsers say
 * `validation_error` for condition problems and `invalid_tuple` for the rest.
 */
export function contextualRows(model: CompiledModel, tuples: unknown, invalidAs: 'check' | 'list'): TupleRow[] {
  if (tuples === undefined || tuples === null) return [];
  if (!Array.isArray(tuples)) throw validationError('invalid ContextualTupleKeys.TupleKeys: value must be a list');
  if (tuples.length > MAX_CONTEXTUAL_TUPLES) {
    throw validationError(`invalid ContextualTupleKeys.TupleKeys: value must contain no more than ${MAX_CONTEXTUAL_TUPLES} item(s)`);
  }
  return tuples.map((raw: unknown) => {
    const key = requireTupleKey(raw, 'ContextualTuple');
    const condition = (raw as TupleKey).condition;
    const tk: TupleKey = condition ? { ...key, condition } : key;
    const problem = writeProblem(model, tk);
    if (problem) {
      const message = describeProblem(tk, problem);
      throw invalidAs === 'list' && problem.kind === 'conditional' ? validationError(message) : fgaError('invalid_tuple', message);
    }
    return rowFromKey(tk);
  });
}

/** The request context: an object whose keys and string values carry no control characters. */
export function requestContext(context: unknown): Record<string, unknown> | undefined {
  if (context === undefined || context === null) return undefined;
  if (typeof context !== 'object' || Array.isArray(context)) throw validationError('invalid context: must be an object');
  const check = (value: unknown): void => {
    if (typeof value === 'string' && containsForbiddenChars(value)) {
      throw validationError(`invalid context: context value ${JSON.stringify(value)} contains forbidden characters`);
    }
    if (Array.isArray(value)) value.forEach(check);
    else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        if (containsForbiddenChars(k)) throw validationError(`invalid context: context key ${JSON.stringify(k)} contains forbidden characters`);
        check(v);
      }
    }
  };
  check(context);
  return context as Record<string, unknown>;
}
