import { z } from '@hono/zod-openapi';
import { TenantParam, pageOf } from '../../http/schemas.ts';

export const DirectorySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    base_url: z.string().openapi({ description: 'The SCIM base URL to give the IdP (Okta: SCIM connector base URL; Entra: Tenant URL).' }),
    created_at: z.string(),
  })
  .openapi('ScimDirectory');

export const TokenSchema = z
  .object({
    id: z.string(),
    directory_id: z.string(),
    name: z.string(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi('ScimToken');

export const CreatedTokenSchema = TokenSchema.extend({
  token: z.string().openapi({ description: 'The bearer token. Shown once: store it now.' }),
  base_url: z.string(),
}).openapi('CreatedScimToken');

export const NormalisationSchema = z
  .object({
    id: z.string(),
    request_id: z.string(),
    occurred_at: z.string(),
    dialect: z.enum(['entra', 'okta', 'generic']),
    rule: z.string(),
    method: z.string(),
    path: z.string(),
    detail: z.string(),
    user_agent: z.string().nullable(),
  })
  .openapi('ScimNormalisation');

export const MappingSchema = z
  .object({ id: z.string(), group_id: z.string(), relation: z.string(), object: z.string(), created_at: z.string() })
  .openapi('GroupRoleMapping');

export const CreateDirectoryBody = z.strictObject({ name: z.string().trim().min(1).max(200) }).openapi('CreateScimDirectory');
export const CreateTokenBody = z.strictObject({ name: z.string().trim().min(1).max(200).default('SCIM token') }).openapi('CreateScimToken');
export const CreateMappingBody = z
  .strictObject({
    group_id: z.string().min(1).max(64).optional(),
    directory_id: z.string().min(1).max(64).optional(),
    group_display_name: z.string().min(1).max(256).optional(),
    relation: z.string().min(1).max(50).openapi({ description: "A relation on the tenant's organization, e.g. `viewer`." }),
  })
  .refine((b) => (b.group_id !== undefined) !== (b.directory_id !== undefined && b.group_display_name !== undefined), {
    message: 'Give group_id, or directory_id with group_display_name.',
  })
  .openapi('CreateGroupRoleMapping');

export const DirectoryParam = TenantParam.extend({ directory: z.string().min(1).max(64) });
export const TokenParam = DirectoryParam.extend({ token_id: z.string().min(1).max(64) });
export const MappingParam = TenantParam.extend({ mapping_id: z.string().min(1).max(64) });

export const DirectoryPage = pageOf(DirectorySchema, 'ScimDirectoryPage');
export const TokenPage = pageOf(TokenSchema, 'ScimTokenPage');
export const NormalisationPage = pageOf(NormalisationSchema, 'ScimNormalisationPage');
export const MappingPage = pageOf(MappingSchema, 'GroupRoleMappingPage');
