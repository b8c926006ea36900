import type { AttributeDef } from './schema/attributes.ts';
import { ALL_SCHEMAS, RESOURCES, type SchemaDef } from './schema/registry.ts';
import { LIST_RESPONSE, RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA, SERVICE_PROVIDER_CONFIG_SCHEMA } from './schema/urns.ts';
import { MAX_COUNT } from './list-query.ts';
import { SCIM_LIMITS } from './limits.ts';

/** RFC 7643 §5: exactly what this service provider supports. */
export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    patch: { supported: true },
    bulk: { supported: true, maxOperations: SCIM_LIMITS.bulkMaxOperations, maxPayloadSize: SCIM_LIMITS.maxPayloadSize },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'A SCIM token for this directory, created in the Portcullis admin API or CLI (portcullis scim-token create).',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypes(baseUrl: string) {
  return RESOURCES.map((r) => ({
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: r.name,
    name: r.name,
    endpoint: r.endpoint,
    description: r.description,
    schema: r.core.id,
    schemaExtensions: r.extensions.map((e) => ({ schema: e.schema.id, required: e.required })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${r.name}` },
  }));
}

export function schemas(baseUrl: string) {
  return ALL_SCHEMAS.map((s) => schemaResource(s, baseUrl));
}

export function schemaResource(s: SchemaDef, baseUrl: string) {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes.map(attributeView),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${s.id}` },
  };
}

export const listOf = (resources: unknown[]) => ({
  schemas: [LIST_RESPONSE],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
});

function attributeView(a: AttributeDef): Record<string, unknown> {
  const { subAttributes, canonicalValues, referenceTypes, unicodeNfc: _internal, ...rest } = a;
  return {
    ...rest,
    ...(canonicalValues ? { canonicalValues } : {}),
    ...(referenceTypes ? { referenceTypes } : {}),
    ...(subAttributes ? { subAttributes: subAttributes.map(attributeView) } : {}),
  };
}
