import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError, internalError } from './errors.ts';
import type { ErrorRenderer } from './context.ts';

/** The admin API's error body: `{ code, message, request_id }` (plus `details` when useful). */
export const renderAdminError: ErrorRenderer = (err, requestId) => ({
  body: {
    code: err.code,
    message: err.expose ? err.message : 'An internal error occurred.',
    request_id: requestId,
    ...(err.expose && err.details !== undefined ? { details: err.details } : {}),
  },
});

/** Maps framework exceptions (malformed JSON, wrong media type) onto our stable codes. */
function fromHttpException(e: HTTPException): ApiError {
  if (e.status === 400 && /Malformed JSON/i.test(e.message)) {
    return new ApiError(400, 'malformed_json', 'The request body is not valid JSON.');
  }
  if (e.status === 415) return new ApiError(415, 'unsupported_media_type', 'Send the body as application/json.');
  if (e.status === 413) return new ApiError(413, 'payload_too_large', 'The request body is too large.');
  return new ApiError(e.status, e.status < 500 ? 'bad_request' : 'internal_error', e.message || 'Bad request.');
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) return fromHttpException(err);
  return internalError(err);
}

export function respondWithError(c: Context, err: ApiError): Response {
  const renderer = c.get('renderError') ?? renderAdminError;
  const { body, contentType } = renderer(err, c.get('requestId') ?? 'unknown');
  const res = c.json(body, err.status as ContentfulStatusCode, err.headers);
  if (contentType) res.headers.set('Content-Type', contentType);
  return res;
}

/**
 * The one place errors become responses. Unexpected 5xx are logged with their cause and shown
 * generically; an exposed 5xx (an IdP or DNS the request needed failed) is logged as a warning.
 */
export const onError: ErrorHandler = (err, c) => {
  const apiError = toApiError(err);
  const log = c.get('log');
  const request_id = c.get('requestId');
  if (!apiError.expose) log?.error({ request_id, err: apiError.cause ?? err }, 'unhandled error');
  else if (apiError.status >= 500) log?.warn({ request_id, code: apiError.code, status: apiError.status, reason: apiError.message }, 'dependency unavailable');
  else log?.debug({ request_id, code: apiError.code, status: apiError.status }, 'request rejected');
  return respondWithError(c, apiError);
};

export const onNotFound: NotFoundHandler = (c) =>
  respondWithError(c, new ApiError(404, 'route_not_found', `No route for ${c.req.method} ${c.req.path}.`));
