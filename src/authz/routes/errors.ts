import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { ErrorRenderer } from '../../http/context.ts';
import { OpenFgaError } from '../errors.ts';
import { emptyBodyError } from './empty-body.ts';
import { FgaErrorSchema } from './schemas.ts';

/**
 * Portcullis' own error codes as OpenFGA spells them, so SDKs see the vocabulary they know.
 * Codes that are already OpenFGA's (from the engines) pass through unchanged.
 */
const AS_OPENFGA: Record<string, string> = {
  invalid_request: 'validation_error',
  malformed_json: 'validation_error',
  unsupported_media_type: 'validation_error',
  bad_request: 'validation_error',
  invalid_cursor: 'invalid_continuation_token',
  insufficient_scope: 'forbidden',
  platform_key_required: 'forbidden',
  tenant_suspended: 'forbidden',
  rate_limited: 'resource_exhausted',
  route_not_found: 'undefined_endpoint',
};

/** OpenFGA's error body: `{ "code", "message" }` (no request id: it travels in `X-Request-Id`). */
export const renderOpenFgaError: ErrorRenderer = (err) => ({
  body: { code: AS_OPENFGA[err.code] ?? err.code, message: err.expose ? err.message : 'Internal Server Error' },
});

/** First middleware of the `/stores` surface: every error below renders in OpenFGA's shape. */
export const openFgaErrors: MiddlewareHandler = async function openFgaErrorsMiddleware(c, next) {
  c.set('renderError', renderOpenFgaError);
  await next();
};

/** A router whose validation failures are OpenFGA's 400 `validation_error` (an empty body: OpenFGA's own answer). */
export function createFgaRouter(): OpenAPIHono {
  return new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) {
        const empty = result.target === 'json' ? emptyBodyError(c.req.path, (result as { data?: unknown }).data) : undefined;
        if (empty) throw empty;
        const issue = result.error.issues[0];
        const where = issue?.path.length ? `${result.target}.${issue.path.join('.')}` : result.target;
        throw new OpenFgaError(400, 'validation_error', `invalid ${where}: ${issue?.message ?? 'invalid value'}`);
      }
    },
  });
}

const err = (description: string) => ({ description, content: { 'application/json': { schema: FgaErrorSchema } } });

/** The error answers every `/stores` route can give, in OpenFGA's shape. */
export const fgaErrors = {
  400: err('Invalid request (`validation_error` or a more specific OpenFGA code)'),
  401: err('`unauthenticated`: missing, unknown or revoked API key'),
  403: err('`forbidden`: the key lacks the scope'),
  404: err('`store_id_not_found`: no such store, or another tenant\'s'),
  413: err('`payload_too_large`'),
  429: err('`resource_exhausted`: rate limited (see Retry-After)'),
} as const;
