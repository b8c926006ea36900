import { z } from '@hono/zod-openapi';
import { ATTRIBUTE_PRESETS, CONNECTION_STATUSES, MAPPED_ATTRIBUTES } from '../connections/connection.ts';

/**
 * The connection as the admin API answers it (`connectionView`): what generated clients type
 * against. Declared open (unknown keys are not refused by clients), but test/e2e/sso/admin-schemas
 * parses real answers with every object made strict, so a field added to the view and not here fails.
 */

/** The relations a group mapping may grant on the tenant's organization object. */
export const GROUP_MAPPING_RELATIONS = ['owner', 'admin', 'member', 'viewer'] as const;

const Instant = z.iso.datetime().openapi({ description: 'ISO 8601, UTC.' });
const Fingerprint = z.string().openapi({ description: 'SHA-256 of the certificate (DER), upper-case hex pairs joined by colons.' });

const IdpCertificateSchema = z
  .object({ fingerprint: Fingerprint, not_after: Instant.nullable().openapi({ description: 'Expiry; null when the certificate could not be read for it.' }) })
  .openapi('ConnectionIdpCertificate', { description: 'An IdP signing certificate the connection trusts (the PEM is not repeated).' });

const SpCertificateSchema = z
  .object({
    status: z.enum(['active', 'pending', 'previous']).openapi({ description: '`active` signs and decrypts; `pending` is staged by a rotation; `previous` still decrypts until retired.' }),
    fingerprint: Fingerprint,
    not_after: Instant.nullable(),
    created_at: Instant.nullable().openapi({ description: 'Null for the first key pair of a connection made before SP rotation existed.' }),
    last_decrypted_at: Instant.nullable().openapi({ description: 'When it last decrypted an assertion (null: not since it was made, or not yet recorded).' }),
    certificate: z.string().openapi({ description: 'The SP certificate, PEM (public; its private key never leaves Portcullis).' }),
  })
  .openapi('ConnectionSpCertificate');

const SamlViewSchema = z
  .object({
    idp_entity_id: z.string(),
    idp_sso_url: z.string(),
    idp_certificates: z.array(IdpCertificateSchema),
    metadata_url: z.string().nullable().openapi({ description: 'Where the IdP metadata is re-fetched from; null when imported from XML or fields.' }),
    metadata_refreshed_at: Instant.nullable().openapi({ description: 'The last fetch of `metadata_url`, good or not.' }),
    metadata_error: z.string().nullable().openapi({ description: 'Why the last fetch failed; null after a good one.' }),
    metadata_valid_until: Instant.nullable().openapi({
      description:
        "The earliest `validUntil` of the IdP metadata the settings came from (SAML V2.0 Metadata §2.2.1): past it, beyond `clock_skew_seconds`, sign-ins through the connection are refused (`saml_metadata_expired`) until a refresh or an import brings current metadata. Null: no bound (the metadata had none, the IdP was given as fields, or the connection was imported before Portcullis kept it).",
    }),
    want_assertions_signed: z.boolean(),
    want_response_signed: z.boolean(),
    allow_idp_initiated: z.boolean(),
    idp_initiated_app_id: z.string().nullable(),
    clock_skew_seconds: z.number().int(),
    allow_sha1_signatures: z.boolean().openapi({ description: 'Accept IdP signatures made with SHA-1; false refuses them (`saml_sha1_signature_refused`).' }),
    sp: z
      .object({
        entity_id: z.string(),
        acs_url: z.string(),
        metadata_url: z.string(),
        certificate: z.string().openapi({ description: 'The active SP certificate, PEM (the first of `certificates`).' }),
        certificates: z.array(SpCertificateSchema),
      })
      .openapi({ description: 'What the IdP admin enters: Portcullis as the SAML service provider.' }),
  })
  .openapi('ConnectionSaml');

const OidcViewSchema = z
  .object({
    issuer: z.string(),
    client_id: z.string(),
    has_client_secret: z.boolean().openapi({ description: 'Whether a client secret is stored (sealed); the secret itself is never returned.' }),
    scopes: z.string(),
    entra_multi_tenant: z.boolean(),
    allowed_entra_tenants: z.array(z.string()),
    allowed_google_domains: z.array(z.string()).openapi({ description: 'Google Workspace domains (the `hd` claim) whose accounts may sign in; required with Google as the issuer.' }),
    redirect_uri: z.string().openapi({ description: 'The redirect URI to register at the IdP.' }),
  })
  .openapi('ConnectionOidc');

const TestMappedSchema = z.object({
  external_id: z.string(),
  email: z.string().nullable(),
  given_name: z.string().nullable(),
  family_name: z.string().nullable(),
  name: z.string().nullable(),
  groups: z.array(z.string()),
  groups_overage: z.boolean().optional().openapi({ description: 'Absent on results recorded by earlier versions.' }),
});

const LinkPreviewSchema = z
  .object({
    outcome: z.enum(['existing_user', 'new_user', 'refused']).openapi({ description: '`existing_user`: a real sign-in would link to `user_id`; `new_user`: it would create a user just in time (in `directory_id` when the connection is bound); `refused`: it would fail with `reason`.' }),
    user_id: z.string().nullable(),
    directory_id: z.string().nullable().openapi({ description: 'The directory of the user linked to (or matched, when refused); null: none.' }),
    linked_by: z.enum(['external_id', 'verified_email', 'jit']).nullable(),
    reason: z.string().nullable().openapi({ description: 'The sign-in failure reason (e.g. `user_directory_mismatch`) when refused.' }),
  })
  .openapi('ConnectionTestLink', { description: 'Whom a real sign-in with the tested identity would become; nothing is written by a test.' });

const LastTestSchema = z
  .object({
    tested_at: Instant,
    outcome: z.enum(['succeeded', 'failed']),
    reason: z.string().nullable().openapi({ description: 'Why it failed (a sign-in failure reason); null when it succeeded.' }),
    received: z.object({
      attributes: z.record(z.string(), z.unknown()).openapi({ description: 'What the IdP sent (SAML attributes or OIDC claims); `{detail}` when the test failed.' }),
      mapped: TestMappedSchema.nullable().openapi({ description: 'How the mapping read it; null when the test failed.' }),
      warnings: z.array(z.string()).optional().openapi({ description: 'What to fix although the test succeeded. Absent on results recorded by earlier versions.' }),
      link: LinkPreviewSchema.nullable().optional().openapi({ description: 'Null when the test failed. Absent on results recorded by earlier versions.' }),
    }),
  })
  .openapi('ConnectionTestResult');

export const ConnectionSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    name: z.string(),
    protocol: z.enum(['saml', 'oidc']),
    status: z.enum(CONNECTION_STATUSES),
    attribute_preset: z.enum(ATTRIBUTE_PRESETS),
    attribute_mapping: z.partialRecord(z.enum(MAPPED_ATTRIBUTES), z.string()),
    group_mappings: z.array(z.object({ idp_group: z.string(), relation: z.enum(GROUP_MAPPING_RELATIONS) })),
    directory_id: z
      .string()
      .nullable()
      .openapi({ description: "The SCIM directory whose users this connection signs in; null: unbound. While a live connection is bound to a directory, that directory's users sign in only through connections bound to it." }),
    saml: SamlViewSchema.nullable().openapi({ description: 'Set on SAML connections, null on OIDC ones.' }),
    oidc: OidcViewSchema.nullable().openapi({ description: 'Set on OIDC connections, null on SAML ones.' }),
    last_test: LastTestSchema.nullable().openapi({ description: "The last admin test login's result; null before the first." }),
    created_at: Instant,
    updated_at: Instant,
  })
  .openapi('Connection');
