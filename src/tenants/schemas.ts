import { z } from '@hono/zod-openapi';
import { pageOf } from '../http/schemas.ts';

export const TenantSchema = z
  .object({
    id: z.string().openapi({ example: 'ten_01JD8X3Y5Z6A7B8C9D0E1F2G3H' }),
    slug: z.string(),
    name: z.string(),
    status: z.enum(['active', 'suspended', 'deleted']),
    authz_store_id: z.string().openapi({ description: 'The tenant\'s store in the OpenFGA-compatible API.' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Tenant');

export const TenantPageSchema = pageOf(TenantSchema, 'TenantPage');

const name = z.string().trim().min(1).max(200);
const slug = z.string().min(1).max(63).openapi({ description: 'Lowercase letters, digits and inner hyphens.' });

export const CreateTenantBody = z.strictObject({ name, slug: slug.optional() }).openapi('CreateTenant');

export const UpdateTenantBody = z
  .strictObject({ name: name.optional(), slug: slug.optional() })
  .refine((b) => b.name !== undefined || b.slug !== undefined, { message: 'Give at least one of name, slug.' })
  .openapi('UpdateTenant');

export const IfMatchHeader = z.object({
  'if-match': z.string().max(200).optional().openapi({ description: 'ETag from a previous read: 412 if it changed.' }),
});
