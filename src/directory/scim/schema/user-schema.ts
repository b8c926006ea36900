import { bool, complex, contactAttribute, ref, str, type AttributeDef } from './attributes.ts';

const name = complex('name', "The components of the user's name.", [
  str('formatted', 'The full name, formatted for display.'),
  str('familyName', 'The family name (last name).'),
  str('givenName', 'The given name (first name).'),
  str('middleName', 'The middle name(s).'),
  str('honorificPrefix', "The honorific prefix(es), e.g. 'Ms.'."),
  str('honorificSuffix', "The honorific suffix(es), e.g. 'III'."),
]);

const addresses = complex(
  'addresses',
  'Physical mailing addresses.',
  [
    str('formatted', 'The full mailing address, formatted for display.'),
    str('streetAddress', 'The full street address.'),
    str('locality', 'The city or locality.'),
    str('region', 'The state or region.'),
    str('postalCode', 'The zip code or postal code.'),
    str('country', 'The country name component.'),
    str('type', "A label indicating the address's function.", { canonicalValues: ['work', 'home', 'other'] }),
    bool('primary', "Whether this is the primary address. 'true' appears no more than once."),
  ],
  { multiValued: true },
);

const groups = complex(
  'groups',
  "The groups the user belongs to, maintained through the Groups resource.",
  [
    str('value', 'The id of the group.', { mutability: 'readOnly' }),
    ref('$ref', ['Group'], 'The URI of the group.', { mutability: 'readOnly' }),
    str('display', "The group's displayName.", { mutability: 'readOnly' }),
    str('type', "'direct': membership is direct (nested groups are not supported).", {
      mutability: 'readOnly',
      canonicalValues: ['direct'],
    }),
  ],
  { multiValued: true, mutability: 'readOnly' },
);

/** The core User schema as stored: RFC 7643 §4.1 without password, ims, photos, entitlements, roles or certificates. */
export const USER_ATTRIBUTES: AttributeDef[] = [
  str('userName', 'Unique identifier for the user within the tenant, case-insensitively and in Unicode NFC. REQUIRED.', {
    required: true,
    uniqueness: 'server',
    unicodeNfc: true,
  }),
  name,
  str('displayName', 'The name of the user, suitable for display.'),
  str('nickName', 'The casual way to address the user.'),
  ref('profileUrl', ['external'], "A URI pointing to the user's online profile."),
  str('title', "The user's title, such as 'Vice President'."),
  str('userType', "The relationship between the organization and the user, e.g. 'Employee'."),
  str('preferredLanguage', "The user's preferred written or spoken language, e.g. 'en-US'."),
  str('locale', "The user's default location for localisation, e.g. 'en-US'."),
  str('timezone', "The user's time zone in IANA format, e.g. 'Europe/Paris'."),
  bool('active', 'Whether the user may sign in. false revokes every session, token, grant and authorization tuple. Defaults to true when a new user is created without it; it cannot be removed.', {
    required: true,
  }),
  contactAttribute('emails', 'Email addresses for the user (stored in Unicode NFC).', ['work', 'home', 'other'], { unicodeNfc: true }),
  contactAttribute('phoneNumbers', 'Phone numbers for the user.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
  addresses,
  groups,
];
