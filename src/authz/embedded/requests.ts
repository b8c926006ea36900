import type { TupleKey } from '@openfga/sdk';
import { fgaError, validationError } from '../errors.ts';
import type { CompiledModel } from '../model/compile.ts';
import { containsForbiddenChars, re2Pattern, type FieldPattern } from '../model/keys.ts';
import { rowFromKey, type TupleRow } from './tuple-row.ts';
import { describeProblem, writeProblem } from './tuple-validation.ts';

/**
 * Request checks every query shares: the field patterns OpenFGA's API enforces before a request
 * reaches its engine, contextual tuples (at most 100, each valid for writing under the model)
 * and the request context (an object without control characters).
 */
export const MAX_CONTEXTUAL_TUPLES = 100;

const OBJECT = re2Pattern('^[^\\s]{2,256}$');
const RELATION = re2Pattern('^[^:#@\\s]{1,50}$');
const USER = re2Pattern('^[^\\s]{2,512}$');
const TYPE = re2Pattern('^[^:#@\\s]{1,254}$');
/** OpenFGA's `max_bytes` on the user of a stored tuple key and of ListObjects. */
export const MAX_USER_BYTES = 512;

function requireString(value: unknown, field: string, pattern: FieldPattern): string {
  if (typeof value !== 'string' || value === '') throw validationError(`invalid ${field}: value is required`);
  if (!pattern.test(value)) throw validationError(`invalid ${field}: value does not match regex pattern "${pattern.source}"`);
  return value;
}

/**
 * OpenFGA's byte limit on a user (`message` names the proto field as OpenFGA does), checked
 * before the pattern, as OpenFGA's validator does.
 */
export function assertUserBytes(value: unknown, message: string): void {
  if (typeof value === 'string' && Buffer.byteLength(value) > MAX_USER_BYTES) throw validationError(message);
}

/** The user of a tuple to store (a write or a contextual tuple): at most 512 bytes. */
const storedUserLimit = (value: unknown) => assertUserBytes(value, `invalid TupleKey.User: value length must be at most ${MAX_USER_BYTES} bytes`);

/** A `{user, relation, object}` key as Check and BatchCheck take it (and, with `storedTupleKey`, as a tuple to store). */
export function requireTupleKey(tk: unknown, request: string, userLimit?: (user: unknown) => void): { user: string; relation: string; object: string } {
  if (typeof tk !== 'object' || tk === null) throw fgaError('tuple_key_value_not_specified', `invalid ${request}.TupleKey: value is required`);
  const key = tk as Record<string, unknown>;
  userLimit?.(key.user);
  return {
    object: requireString(key.object, `${request}TupleKey.Object`, OBJECT),
    relation: requireString(key.relation, `${request}TupleKey.Relation`, RELATION),
    user: requireString(key.user, `${request}TupleKey.User`, USER),
  };
}

/** A tuple key to store or to evaluate as stored (writes, contextual tuples): its user at most 512 bytes. */
export function storedTupleKey(tk: unknown, request: string): { user: string; relation: string; object: string } {
  return requireTupleKey(tk, request, storedUserLimit);
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
    const key = storedTupleKey(raw, 'ContextualTuple');
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
