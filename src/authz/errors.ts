import { ApiError } from '../http/errors.ts';
import { httpStatusOf, type OpenFgaErrorName } from './error-codes.ts';

/**
 * An error in OpenFGA's vocabulary: `code` is one of OpenFGA's error code names
 * (`validation_error`, `type_not_found`, `store_id_not_found`, …), rendered on the `/stores`
 * surface as OpenFGA renders it over HTTP: `{ "code", "message" }` with the same status.
 */
export class OpenFgaError extends ApiError {
  constructor(status: number, code: string, message: string, options: { cause?: unknown } = {}) {
    super(status, code, message, options);
    this.name = 'OpenFgaError';
  }
}

/** 400 with an OpenFGA validation code, e.g. `fgaInvalid('type_not_found', "type 'doc' not found")`. */
export const fgaInvalid = (code: string, message: string) => new OpenFgaError(400, code, message);

/** What OpenFGA answers for a store that does not exist (and Portcullis for one you may not see). */
export const storeNotFound = () => new OpenFgaError(404, 'store_id_not_found', 'store_id_not_found');

/** An OpenFGA error by code name, with the HTTP status OpenFGA gives that code (400, 404, 500). */
export const fgaError = (code: OpenFgaErrorName, message: string) => new OpenFgaError(httpStatusOf(code), code, message);

/** OpenFGA's `validation_error` (2000): what it answers for most malformed or unevaluable requests. */
export const validationError = (message: string) => fgaError('validation_error', message);

/**
 * A write of a tuple that already exists with a different condition (OpenFGA answers 409
 * `Aborted`, as the embedded engine does; the message is all that tells it from OpenFGA's other
 * 409s, transaction conflicts worth a retry). No retry of the same write can succeed.
 */
export const isConditionConflict = (err: unknown): boolean =>
  err instanceof OpenFgaError && err.status === 409 && err.message.includes('already exists with a different condition');
