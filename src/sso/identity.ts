import type { AttributeMapping, AttributePreset, Protocol } from './connections/connection.ts';
import { NAME_ID, effectiveMapping, fallbacksFor } from './connections/presets.ts';

/** A person as an IdP asserted them, after attribute mapping. */
export interface IdpIdentity {
  external_id: string;
  email: string | null;
  given_name: string | null;
  family_name: string | null;
  name: string | null;
  groups: string[];
  /**
   * The IdP said the user is in more groups than fit in the token and sent no groups claim
   * (Entra ID: the SAML `groups.link` claim, or OIDC `_claim_names.groups` / `hasgroups`).
   * `groups` is then empty but says nothing about membership.
   */
  groups_overage: boolean;
  amr: string[];
  acr: string;
  idp_session_index: string | null;
  /** When the IdP says its session ends (SAML `SessionNotOnOrAfter`): Portcullis' session ends then too. */
  idp_session_not_on_or_after: Date | null;
  /**
   * When the person authenticated at the IdP, if it said: SAML `AuthnStatement/@AuthnInstant`,
   * OIDC `auth_time`. Null when it did not (Portcullis' own sign-in time stands in).
   */
  idp_authenticated_at: Date | null;
  /** The IdP signed with SHA-1 (SAML) and the connection allows it: accepted, flagged to the admin (test login, audit). */
  sha1_signature?: boolean;
  /** How many SAML `EncryptedAttribute`s the assertion held: not read (only plain attributes are), so the test login warns. */
  encrypted_attributes?: number;
  /** The IdP sent an email that is not used (`email` null): why, for the messages that name its absence. */
  email_unused?: string;
  /** Everything received (attributes or claims), shown by the admin test login. */
  received: Record<string, unknown>;
}

export type IdentityResult = { ok: true; identity: IdpIdentity } | { ok: false; reason: 'missing_external_id' | 'idp_value_too_long'; detail: string };

/**
 * The most an IdP may assert, per value: what the directory itself accepts (SCIM's userName and
 * names: 256; an email address: 254, RFC 5321; ids: 512) and what group mappings can name (500).
 * A longer value is refused, not cut: a cut external id or email could be someone else's.
 */
export const IDP_VALUE_LIMITS = { external_id: 512, email: 254, given_name: 256, family_name: 256, name: 256, group: 500, groups: 2000 } as const;

/** A NameID the IdP makes up anew at each sign-in: it identifies a session, never a person. */
export const TRANSIENT_NAME_ID = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

// A number only as an integer JSON keeps exactly: beyond 2^53 its last digits are already gone
// (two people's ids would read alike), so it counts as not sent.
const first = (v: unknown): string | null => {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' && x.trim() !== '' ? x.trim() : typeof x === 'number' && Number.isSafeInteger(x) ? String(x) : null;
};
/** Entra ID's SAML overage claim: a Microsoft Graph link in place of the groups claim (above 150 groups). */
export const ENTRA_GROUPS_LINK = 'http://schemas.microsoft.com/claims/groups.link';

/** The groups claim is absent and the IdP marked it as too large to send (Entra ID's groups overage). */
function groupsOverage(received: Record<string, unknown>, groupsSource: string): boolean {
  if (received[groupsSource] !== undefined) return false;
  const claimNames = received._claim_names;
  const distributed = typeof claimNames === 'object' && claimNames !== null && Object.hasOwn(claimNames, groupsSource);
  return distributed || received.hasgroups === true || received[ENTRA_GROUPS_LINK] !== undefined;
}

/** An OIDC IdP's `email_verified` false (some IdPs, Amazon Cognito among them, send it as a string): no email is taken then. */
export const emailSaidUnverified = (protocol: Protocol, received: Record<string, unknown>): boolean => {
  const v = received.email_verified;
  return protocol === 'oidc' && (v === false || (typeof v === 'string' && v.trim().toLowerCase() === 'false'));
};

const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).filter((x): x is string => typeof x === 'string' && x !== '');

/** Applies the connection's mapping to what the IdP sent. `nameId` is the SAML subject, if any. */
export function mapIdentity(
  protocol: Protocol,
  preset: AttributePreset,
  overrides: AttributeMapping,
  received: Record<string, unknown>,
  extra: { nameId?: string; nameIdFormat?: string | null; amr: string[]; acr: string; sessionIndex?: string | null; sessionNotOnOrAfter?: Date | null; authnInstant?: Date | null; sha1Signature?: boolean; encryptedAttributes?: number },
): IdentityResult {
  const mapping = effectiveMapping(protocol, preset, overrides);
  const transient = extra.nameIdFormat === TRANSIENT_NAME_ID;
  const source = (name: string): unknown => (name === NAME_ID ? (transient ? undefined : extra.nameId) : received[name]);
  const pick = (attr: keyof AttributeMapping): string | null =>
    first(source(mapping[attr])) ?? fallbacksFor(attr).map((f) => first(received[f])).find((v) => v !== null) ?? null;
  const externalId = pick('external_id');
  if (!externalId) {
    const detail = transient && mapping.external_id === NAME_ID
      ? 'the NameID is transient (new at each sign-in) and cannot be the external id: use a persistent NameID or map external_id to an attribute'
      : typeof source(mapping.external_id) === 'number'
        ? 'the IdP sent the external id as a number too large to read exactly (above 2^53): have it sent as a string'
        : 'the IdP sent no value for the external id';
    return { ok: false, reason: 'missing_external_id', detail };
  }
  // An OIDC IdP that says the address is not verified vouches for the account, not the address:
  // taken anyway, it would link the person to whoever holds it (and reach apps as verified when
  // its domain is the tenant's). Neither the claim nor a fallback is used then.
  // One spelling per address: an email in decomposed Unicode (NFD) is the same address as the composed one.
  const unverified = emailSaidUnverified(protocol, received);
  const email = unverified ? undefined : pick('email')?.normalize('NFC');
  const values = { external_id: externalId, email: email ?? null, given_name: pick('given_name'), family_name: pick('family_name'), name: pick('name') };
  const groups = list(source(mapping.groups));
  const tooLong =
    (Object.keys(values) as (keyof typeof values)[]).find((k) => (values[k]?.length ?? 0) > IDP_VALUE_LIMITS[k]) ??
    (groups.length > IDP_VALUE_LIMITS.groups || groups.some((g) => g.length > IDP_VALUE_LIMITS.group) ? 'groups' : undefined);
  if (tooLong) {
    const size = tooLong === 'groups' ? `${groups.length} groups, longest ${Math.max(...groups.map((g) => g.length))} characters` : `${values[tooLong]?.length} characters`;
    return { ok: false, reason: 'idp_value_too_long', detail: `the IdP sent ${tooLong} with ${size}, above the limit` };
  }
  // Control and format characters (zero-width space, direction marks, soft hyphen) are invisible:
  // such an address would read as someone else's (and escape the reserved-email check).
  const usable = email && /^[^@\s\p{Cc}\p{Cf}]+@[^@\s\p{Cc}\p{Cf}]+$/u.test(email) ? email.toLowerCase() : null;
  const emailUnused = unverified && pick('email')
    ? 'the IdP sent an email but said it is not verified (email_verified: false), so it is not used'
    : email && !usable
      ? 'the IdP sent an email that is not a usable address (spaces, control or invisible characters such as a zero-width space, or not one @), so it is not used'
      : undefined;
  return {
    ok: true,
    identity: {
      external_id: externalId,
      email: usable,
      ...(emailUnused ? { email_unused: emailUnused } : {}),
      given_name: values.given_name,
      family_name: values.family_name,
      name: values.name,
      groups,
      groups_overage: groupsOverage(received, mapping.groups),
      amr: extra.amr,
      acr: extra.acr,
      idp_session_index: extra.sessionIndex ?? null,
      idp_session_not_on_or_after: extra.sessionNotOnOrAfter ?? null,
      idp_authenticated_at: extra.authnInstant ?? idpAuthenticatedAt(protocol, received),
      ...(extra.sha1Signature ? { sha1_signature: true } : {}),
      ...(extra.encryptedAttributes ? { encrypted_attributes: extra.encryptedAttributes } : {}),
      received: { ...(extra.nameId ? { [NAME_ID]: extra.nameId } : {}), ...received },
    },
  };
}

/** OIDC: the ID token's `auth_time` (seconds). SAML's `AuthnInstant` comes from the verified assertion (`extra.authnInstant`). */
function idpAuthenticatedAt(protocol: Protocol, received: Record<string, unknown>): Date | null {
  if (protocol === 'saml') return null;
  const at = received.auth_time;
  if (typeof at !== 'number' || !Number.isFinite(at) || at <= 0) return null;
  // Beyond the largest date (an IdP writing microseconds): later than any sign-in, so the sign-in's own time.
  const date = new Date(at * 1000);
  return Number.isNaN(date.getTime()) ? null : date;
}
