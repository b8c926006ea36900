import { ApiError } from '../../http/errors.ts';
import type { ErrorRenderer } from '../../http/context.ts';
import { ERROR_SCHEMA, SCIM_CONTENT_TYPE } from './schema/urns.ts';

/** RFC 7644 §3.12 Table 9. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** A SCIM protocol error: rendered with `scimType` in the RFC 7644 error schema. */
export class ScimError extends ApiError {
  readonly scimType: ScimType | undefined;
  constructor(status: number, scimType: ScimType | undefined, message: string, options: { headers?: Record<string, string> } = {}) {
    super(status, scimType ?? `scim_${status}`, message, options);
    this.name = 'ScimError';
    this.scimType = scimType;
  }
}

export const scimBadRequest = (scimType: ScimType, message: string) => new ScimError(400, scimType, message);
export const invalidFilter = (message: string) => scimBadRequest('invalidFilter', message);
export const invalidPath = (message: string) => scimBadRequest('invalidPath', message);
export const invalidValue = (message: string) => scimBadRequest('invalidValue', message);
export const invalidSyntax = (message: string) => scimBadRequest('invalidSyntax', message);
export const noTarget = (message: string) => scimBadRequest('noTarget', message);
export const mutability = (message: string) => scimBadRequest('mutability', message);
export const uniqueness = (message: string) => new ScimError(409, 'uniqueness', message);
export const resourceNotFound = (type: string, id: string) => new ScimError(404, undefined, `${type} ${id} not found.`);
export const versionMismatch = () => new ScimError(412, undefined, 'The resource has changed since the given version (If-Match).');

/** scimType for the shared errors raised before a SCIM handler runs (body parsing, validation). */
const SCIM_TYPE_OF_CODE: Record<string, ScimType> = {
  malformed_json: 'invalidSyntax',
  invalid_request: 'invalidValue',
  invalid_cursor: 'invalidValue',
  user_name_taken: 'uniqueness',
  display_name_taken: 'uniqueness',
  invalid_member: 'invalidValue',
};

/** The RFC 7644 error body, with Content-Type application/scim+json. */
export const renderScimError: ErrorRenderer = (err, requestId) => {
  const scimType = err instanceof ScimError ? err.scimType : SCIM_TYPE_OF_CODE[err.code];
  return {
    contentType: SCIM_CONTENT_TYPE,
    body: {
      schemas: [ERROR_SCHEMA],
      status: String(err.status),
      ...(scimType && err.status < 500 ? { scimType } : {}),
      detail: err.expose ? err.message : `An internal error occurred (request ${requestId}).`,
    },
  };
};
