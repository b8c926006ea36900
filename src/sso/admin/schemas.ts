import { z } from '@hono/zod-openapi';
import { ATTRIBUTE_PRESETS, CONNECTION_STATUSES, MAPPED_ATTRIBUTES, MAX_CLOCK_SKEW_SECONDS } from '../connections/connection.ts';
import { GROUP_MAPPING_RELATIONS } from './connection-schema.ts';

export { ConnectionSchema } from './connection-schema.ts';

const Url = z.string().min(1).max(2000);
const AttributeMapping = z.partialRecord(z.enum(MAPPED_ATTRIBUTES), z.string().min(1).max(500));
const GroupMappings = z
  .array(z.strictObject({ idp_group: z.string().min(1).max(500), relation: z.enum(GROUP_MAPPING_RELATIONS) }))
  .max(200);

const DirectoryBinding = z
  .string()
  .min(1)
  .max(64)
  .nullable()
  .openapi({ description: 'A live SCIM directory of the tenant whose users this connection signs in (they then sign in only through connections bound to it); null unbinds. See docs/sso.md, "Several IdPs in one tenant".' });

const SamlFields = {
  metadata_xml: z.string().min(1).max(1024 * 1024),
  metadata_url: Url,
  idp_entity_id: z.string().min(1).max(1000),
  idp_sso_url: Url,
  idp_certificates: z.array(z.string().min(1).max(20_000)).min(1).max(10),
  want_assertions_signed: z.boolean(),
  want_response_signed: z.boolean(),
  allow_idp_initiated: z.boolean(),
  idp_initiated_app_id: z.string().max(64).nullable(),
  clock_skew_seconds: z.number().int().min(0).max(MAX_CLOCK_SKEW_SECONDS),
  allow_sha1_signatures: z.boolean(),
};
const OidcFields = {
  issuer: Url,
  client_id: z.string().min(1).max(500),
  client_secret: z.string().min(1).max(2000).nullable(),
  scopes: z.string().regex(/^openid( [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'must start with openid'),
  entra_multi_tenant: z.boolean(),
  allowed_entra_tenants: z
    .array(z.string().uuid('must be an Entra directory (tenant) id, a GUID such as 9b1c6f0e-2d3a-4c5b-8e7f-0a1b2c3d4e5f (Entra admin center: Overview, Tenant ID), not a domain name'))
    .max(100),
  allowed_google_domains: z
    .array(z.string().regex(/^(?=.{4,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/, 'must be a Google Workspace domain name such as acme.com (the hd claim)'))
    .max(100),
};

export const CreateConnectionBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    protocol: z.enum(['saml', 'oidc']),
    status: z.enum(['testing', 'active']).optional(),
    attribute_preset: z.enum(ATTRIBUTE_PRESETS).optional(),
    attribute_mapping: AttributeMapping.optional(),
    group_mappings: GroupMappings.optional(),
    directory_id: DirectoryBinding.optional(),
    saml: z.strictObject(SamlFields).partial().optional(),
    oidc: z.strictObject(OidcFields).partial().optional(),
  })
  .openapi('CreateConnection');

export const UpdateConnectionBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    status: z.enum(CONNECTION_STATUSES),
    attribute_preset: z.enum(ATTRIBUTE_PRESETS),
    attribute_mapping: AttributeMapping,
    group_mappings: GroupMappings,
    directory_id: DirectoryBinding,
    saml: z.strictObject(SamlFields).partial(),
    oidc: z.strictObject(OidcFields).partial(),
  })
  .partial()
  .openapi('UpdateConnection');

export const RevokedSessionsSchema = z.object({ sessions_revoked: z.number().int() }).openapi('RevokedSessions');
export const TestLoginSchema = z.object({ url: z.string(), expires_at: z.string() }).openapi('ConnectionTestLogin');
export const DomainSchema = z
  .object({
    id: z.string(),
    domain: z.string(),
    verified: z.boolean(),
    verified_at: z.string().nullable(),
    verification: z.object({ type: z.literal('TXT'), name: z.string(), value: z.string() }),
    created_at: z.string(),
  })
  .openapi('Domain');
export const CreateDomainBody = z.strictObject({ domain: z.string().min(1).max(253) }).openapi('CreateDomain');
export const SsoSettingsSchema = z.object({ jit_provisioning: z.boolean() }).openapi('SsoSettings');
export const UpdateSsoSettingsBody = z.strictObject({ jit_provisioning: z.boolean() }).openapi('UpdateSsoSettings');
