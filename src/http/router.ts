import { OpenAPIHono } from '@hono/zod-openapi';
import { ApiError } from './errors.ts';

/**
 * An OpenAPIHono router whose validation failures become our 400s: `invalid_request` with the
 * offending paths listed (unknown fields included: body schemas are strict).
 */
export function createRouter(): OpenAPIHono {
  return new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({
          path: i.path.join('.'),
          message: i.message,
          ...('keys' in i && Array.isArray(i.keys) ? { unknown_fields: i.keys } : {}),
        }));
        const first = issues[0];
        throw new ApiError(
          400,
          'invalid_request',
          first ? `Invalid ${result.target}: ${first.path ? `${first.path}: ` : ''}${first.message}` : 'Invalid request.',
          { details: issues },
        );
      }
    },
  });
}
