import { z } from '@hono/zod-openapi';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../lib/pagination.ts';

export const ErrorSchema = z
  .object({
    code: z.string().openapi({ example: 'not_found' }),
    message: z.string(),
    request_id: z.string(),
    details: z.unknown().optional(),
  })
  .openapi('Error');

export const PaginationQuery = z.object({
  cursor: z.string().max(512).optional().openapi({ description: 'Opaque cursor from `next_cursor`.' }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ description: `Page size, 1-${MAX_PAGE_SIZE}.` }),
});

export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() }).openapi(name);
}

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

/** The error responses every authenticated admin route can give. */
export const commonErrors = {
  400: err('Malformed or invalid request'),
  401: err('Missing, unknown or revoked credential'),
  403: err('The credential lacks the scope'),
  404: err('Not found, or in another tenant'),
  413: err('Body too large'),
  429: err('Rate limited'),
} as const;

export const errorResponse = err;

export const TenantParam = z.object({
  tenant: z.string().min(1).max(100).openapi({ description: 'Tenant id or slug.' }),
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});
