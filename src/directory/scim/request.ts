import type { DirectoryWriteContext } from '../write-context.ts';
import type { Normalisations } from './dialects.ts';

/** One SCIM request's context, resolved from its token: where it acts and what it normalised. */
export interface ScimRequest {
  ctx: DirectoryWriteContext;
  /** `{BASE_URL}/scim/v2/{directory}`: the prefix of every `location` and `$ref`. */
  baseUrl: string;
  normalisations: Normalisations;
}

/** A SCIM response, transport-free: the route turns it into HTTP. */
export interface ScimResult {
  status: number;
  body?: unknown;
  etag?: string;
  location?: string;
}
