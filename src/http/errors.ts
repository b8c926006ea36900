/**
 * Typed errors, transport-free: services throw these and one onError renders them in the
 * shape of the surface the request came through (admin JSON, SCIM, OpenFGA).
 * `expose` is true for 4xx and 501 (a deliberate "not implemented"): their message is safe to
 * show. Other 5xx show a generic message, unless the error is made with `expose: true`: a 502/503
 * about a peer the caller configured (their IdP, their DNS), whose reason is theirs to act on.
 */
export interface ApiErrorOptions {
  cause?: unknown;
  details?: unknown;
  headers?: Record<string, string>;
  /** Show the message (and details) of a 5xx: only for reasons about the caller's own peers, never internals. */
  expose?: boolean;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, options: ApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.expose = options.expose ?? (status < 500 || status === 501);
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export const badRequest = (code: string, message: string, details?: unknown) =>
  new ApiError(400, code, message, { details });
export const unauthenticated = (message = 'A valid credential is required.') =>
  new ApiError(401, 'unauthenticated', message);
export const insufficientScope = (scope: string) =>
  new ApiError(403, 'insufficient_scope', `This credential lacks the '${scope}' scope.`);
export const forbidden = (code: string, message: string) => new ApiError(403, code, message);
export const notFound = (what = 'resource') => new ApiError(404, 'not_found', `The ${what} does not exist.`);
export const conflict = (code: string, message: string) => new ApiError(409, code, message);
export const preconditionFailed = (message = 'The resource has changed since the given ETag.') =>
  new ApiError(412, 'precondition_failed', message);
export const payloadTooLarge = (limit: number) =>
  new ApiError(413, 'payload_too_large', `The request body exceeds ${limit} bytes.`);
export const unprocessable = (code: string, message: string) => new ApiError(422, code, message);
export const rateLimited = (retryAfterSeconds: number) =>
  new ApiError(429, 'rate_limited', 'Too many requests for this credential.', {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
/** A peer the caller configured (their IdP) failed or answered nonsense: 502, the reason shown. */
export const badGateway = (code: string, message: string, details?: unknown, headers?: Record<string, string>) =>
  new ApiError(502, code, message, { details, expose: true, headers });
/** A service the request depends on is down for now (DNS): 503 with Retry-After, the reason shown. */
export const serviceUnavailable = (code: string, message: string, retryAfterSeconds: number) =>
  new ApiError(503, code, message, { expose: true, headers: { 'Retry-After': String(retryAfterSeconds) } });
export const internalError = (cause: unknown) =>
  new ApiError(500, 'internal_error', 'An internal error occurred.', { cause });
