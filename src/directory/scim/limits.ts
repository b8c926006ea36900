/** SCIM limits, advertised in /ServiceProviderConfig and enforced where they apply. */
export const SCIM_LIMITS = {
  /** Operations per /Bulk request. */
  bulkMaxOperations: 1000,
  /** Bytes per request body, /Bulk included (413 above it). */
  maxPayloadSize: 1024 * 1024,
} as const;
