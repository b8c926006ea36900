/**
 * SCIM limits, in one place: advertised in /ServiceProviderConfig where RFC 7643 has a field for
 * them, documented in docs/scim.md, enforced by limit-check.ts. The per-value limits sit far
 * below the body limit and above what Okta and Entra ID send for the attributes Portcullis
 * stores (Microsoft Graph holds the Entra user properties Entra maps to at most 1 024
 * characters, most to 64–256), so an IdP's real data never meets them, while one request can no
 * longer put a megabyte into one attribute or tens of thousands of values into one list.
 */
export const SCIM_LIMITS = {
  /** Operations per /Bulk request. */
  bulkMaxOperations: 1000,
  /** Bytes per request body, /Bulk included (413 above it). */
  maxPayloadSize: 1024 * 1024,
  /** Characters (Unicode code points) in any string value, at any depth, unless a limit below says otherwise. */
  maxStringLength: 1024,
  /** Characters in a `reference` value (`profileUrl`): URLs run longer than names. */
  maxReferenceLength: 2048,
  /** Characters in a user's `userName` and a group's `displayName` (the unique names). */
  maxNameLength: 256,
  /** Values of one multi-valued attribute of a user (`emails`, `phoneNumbers`, `addresses`). */
  maxValuesPerAttribute: 100,
  /**
   * Group member values one request may carry: the `members` of a POST or PUT, and the member
   * values of every operation of a PATCH together. Groups are not capped: a group grows past
   * this over several PATCHes (how Okta and Entra ID push large groups).
   */
  maxMembersPerRequest: 10_000,
} as const;
