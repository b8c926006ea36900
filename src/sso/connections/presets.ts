import type { AttributeMapping, AttributePreset, Protocol } from './connection.ts';

/** The SAML NameID, usable as a mapping source. */
export const NAME_ID = '$nameid';

const ENTRA_CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const ENTRA_MS = 'http://schemas.microsoft.com';

/**
 * Where each attribute comes from, per IdP. SAML sources are attribute Names (or `$nameid`);
 * OIDC sources are claim names. A connection's own mapping overrides single entries.
 */
const PRESETS: Record<Protocol, Record<AttributePreset, Required<AttributeMapping>>> = {
  saml: {
    generic: { external_id: NAME_ID, email: 'email', given_name: 'given_name', family_name: 'family_name', name: 'name', groups: 'groups' },
    // Okta's attribute statements as its SAML app wizard suggests them.
    okta: { external_id: NAME_ID, email: 'email', given_name: 'firstName', family_name: 'lastName', name: 'displayName', groups: 'groups' },
    // Entra ID's default claims for an enterprise application (groups when a group claim is added).
    entra: {
      external_id: `${ENTRA_MS}/identity/claims/objectidentifier`,
      email: `${ENTRA_CLAIMS}/emailaddress`,
      given_name: `${ENTRA_CLAIMS}/givenname`,
      family_name: `${ENTRA_CLAIMS}/surname`,
      name: `${ENTRA_MS}/identity/claims/displayname`,
      groups: `${ENTRA_MS}/ws/2008/06/identity/claims/groups`,
    },
  },
  oidc: {
    generic: { external_id: 'sub', email: 'email', given_name: 'given_name', family_name: 'family_name', name: 'name', groups: 'groups' },
    okta: { external_id: 'sub', email: 'email', given_name: 'given_name', family_name: 'family_name', name: 'name', groups: 'groups' },
    entra: { external_id: 'oid', email: 'email', given_name: 'given_name', family_name: 'family_name', name: 'name', groups: 'groups' },
  },
};

/** Fallback sources tried when the mapped one is absent (common alternative names). */
const FALLBACKS: Partial<Record<keyof AttributeMapping, string[]>> = {
  email: ['email', 'mail', 'urn:oid:0.9.2342.19200300.100.1.3', `${ENTRA_CLAIMS}/emailaddress`, 'preferred_username', `${ENTRA_CLAIMS}/name`],
  given_name: ['given_name', 'firstName', 'urn:oid:2.5.4.42'],
  family_name: ['family_name', 'lastName', 'urn:oid:2.5.4.4'],
};

export function effectiveMapping(protocol: Protocol, preset: AttributePreset, overrides: AttributeMapping): Required<AttributeMapping> {
  return { ...PRESETS[protocol][preset], ...overrides } as Required<AttributeMapping>;
}

export function fallbacksFor(attribute: keyof AttributeMapping): string[] {
  return FALLBACKS[attribute] ?? [];
}
