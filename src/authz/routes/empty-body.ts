import { OpenFgaError } from '../errors.ts';

const TYPE = '^[^:#@\\\\s]{1,254}$';
const RELATION = '^[^:#@\\\\s]{1,50}$';

/**
 * What OpenFGA answers a request with an empty body (or `{}`), by the route's last path segment:
 * its request validation's first failing rule decides the code, and its message lists every rule
 * the empty message breaks. Routes not listed here accept an empty body (Read, Write's own
 * `invalid_write_input`, assertions) or answer it from their schema.
 */
const EMPTY_BODY_ANSWERS: Record<string, [code: string, message: string]> = {
  check: ['tuple_key_value_not_specified', 'invalid CheckRequest.TupleKey: value is required'],
  'batch-check': ['validation_error', 'invalid BatchCheckRequest.Checks: value must contain at least 1 item(s)'],
  expand: ['tuple_key_value_not_specified', 'invalid ExpandRequest.TupleKey: value is required'],
  'list-objects': [
    'type_invalid_pattern',
    `invalid ListObjectsRequest.Type: value does not match regex pattern "${TYPE}"; invalid ListObjectsRequest.Relation: value does not match regex pattern "${RELATION}"; invalid ListObjectsRequest.User: value length must be between 1 and 512 bytes, inclusive`,
  ],
  'list-users': [
    'validation_error',
    `invalid ListUsersRequest.Object: value is required; invalid ListUsersRequest.Relation: value does not match regex pattern "${RELATION}"; invalid ListUsersRequest.UserFilters: value must contain exactly 1 item(s)`,
  ],
  'authorization-models': [
    'type_definitions_too_few_items',
    'invalid WriteAuthorizationModelRequest.TypeDefinitions: value must contain at least 1 item(s); invalid WriteAuthorizationModelRequest.SchemaVersion: value must be in list [1.0 1.1 1.2]',
  ],
};

/** OpenFGA's answer to an empty request body on `path`, when it has one of its own. */
export function emptyBodyError(path: string, body: unknown): OpenFgaError | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length > 0) return undefined;
  const answer = EMPTY_BODY_ANSWERS[path.slice(path.lastIndexOf('/') + 1)];
  return answer && new OpenFgaError(400, answer[0], answer[1]);
}
