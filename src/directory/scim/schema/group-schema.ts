import { complex, ref, str, type AttributeDef } from './attributes.ts';

/** The core Group schema (RFC 7643 §4.2). Members are users; nested groups are not supported. */
export const GROUP_ATTRIBUTES: AttributeDef[] = [
  str('displayName', 'A human-readable name for the group, unique within the directory. REQUIRED.', {
    required: true,
    uniqueness: 'server',
  }),
  complex(
    'members',
    'The users in the group.',
    [
      str('value', 'The id of the member User.', { mutability: 'immutable', caseExact: true }),
      ref('$ref', ['User'], 'The URI of the member User.', { mutability: 'immutable' }),
      str('type', "The type of the member: 'User'.", { mutability: 'immutable', canonicalValues: ['User'] }),
      str('display', "The member's displayName.", { mutability: 'readOnly', returned: 'request' }),
    ],
    { multiValued: true },
  ),
];
