import { complex, ref, str, type AttributeDef } from './attributes.ts';

/** Attributes every resource has (RFC 7643 §3.1); not part of any schema's attribute list. */
export const base: AttributeDef[] = [
  str('id', 'Unique identifier of the resource, assigned by Portcullis.', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  str('externalId', "The identifier of the resource in the provisioning client's domain.", { caseExact: true }),
  complex(
    'meta',
    'Resource metadata.',
    [
      str('resourceType', 'The name of the resource type.', { mutability: 'readOnly', caseExact: true }),
      { ...str('created', 'When the resource was added.', { mutability: 'readOnly' }), type: 'dateTime' },
      { ...str('lastModified', 'When the resource was last changed.', { mutability: 'readOnly' }), type: 'dateTime' },
      ref('location', ['uri'], 'The URI of the resource.', { mutability: 'readOnly' }),
      str('version', 'The version (ETag) of the resource.', { mutability: 'readOnly', caseExact: true }),
    ],
    { mutability: 'readOnly' },
  ),
];
