import type { Connection } from '../connections/connection.ts';
import { NAME_ID, effectiveMapping, fallbacksFor } from '../connections/presets.ts';
import { emailSaidUnverified, type IdpIdentity } from '../identity.ts';

const PROFILE = ['email', 'given_name', 'family_name', 'name'] as const;

/**
 * What an admin's test login should point out even though it succeeded: profile attributes
 * that mapped to nothing (a misnamed attribute statement signs people in with no email, so
 * email linking and just-in-time users lose it), and, on a connection with group mappings, a
 * missing groups attribute (every sign-in would then take the mapped relations away). Where the
 * IdP sent the expected name in another case (`Email` for `email`), the warning says so: names
 * are case-sensitive; an OIDC IdP's email_verified: false is named as the reason there is no email. For SAML also: a SHA-1 signature the connection still allows, and
 * `EncryptedAttribute`s, which are dropped (node-saml reads only plain attributes).
 */
export function mappingWarnings(connection: Connection, identity: IdpIdentity): string[] {
  const mapping = effectiveMapping(connection.protocol, connection.attribute_preset, connection.attribute_mapping);
  const received = Object.keys(identity.received);
  const looksLike = (name: string) => received.find((r) => r !== name && r.toLowerCase() === name.toLowerCase());
  const explain = (attribute: string, source: string) => {
    if (source === NAME_ID) return `${attribute}: no value (mapped from the NameID)`;
    const other = looksLike(source);
    const hint = other
      ? ` The IdP sent '${other}': names are case-sensitive, so rename the IdP's attribute or set attribute_mapping.${attribute} to '${other}'.`
      : ` Add it at the IdP, or set attribute_mapping.${attribute} to the name the IdP sends.`;
    return `${attribute}: the IdP sent no '${source}' attribute.${hint}`;
  };
  const warnings: string[] = [];
  for (const attribute of PROFILE) {
    if (identity[attribute] !== null) continue;
    const source = mapping[attribute];
    const value = identity.received[source];
    if (attribute === 'email' && emailSaidUnverified(connection.protocol, identity.received)) {
      warnings.push('email: the IdP says the address is not verified (email_verified: false), so the person gets none and is not linked by email: have the IdP verify addresses (or send email_verified: true for addresses it vouches for).');
      continue;
    }
    if (attribute === 'email' && value !== undefined) {
      warnings.push(`email: the value of '${source}' is not an email address, so the person gets none.`);
      continue;
    }
    const fallbacks = fallbacksFor(attribute).filter((f) => f !== source);
    warnings.push(explain(attribute, source) + (fallbacks.length ? ` (Also tried: ${fallbacks.join(', ')}.)` : ''));
  }
  if (identity.sha1_signature) {
    warnings.push('signature: the IdP signs with SHA-1 (RSA-SHA1 or a SHA-1 digest), which is weak and accepted only because saml.allow_sha1_signatures is true: set the IdP to sign with SHA-256, then set saml.allow_sha1_signatures to false.');
  }
  if (identity.encrypted_attributes) {
    const n = identity.encrypted_attributes;
    warnings.push(`attributes: the assertion holds ${n} EncryptedAttribute${n === 1 ? '' : 's'}, which Portcullis cannot read (only plain Attributes are), so ${n === 1 ? 'it is' : 'they are'} ignored: have the IdP send plain attributes and encrypt the whole assertion instead.`);
  }
  if (connection.group_mappings.length > 0 && !identity.groups_overage && identity.received[mapping.groups] === undefined) {
    warnings.push(`${explain('groups', mapping.groups)} With group mappings on this connection, each sign-in would take the mapped relations away.`);
  }
  return warnings;
}
