import type { Actor } from '../audit/events.ts';

/** Who writes to which directory: every directory write takes one. */
export interface DirectoryWriteContext {
  tenantId: string;
  /** The SCIM directory the resource belongs to. */
  directoryId: string;
  /** The tenant's authorization store (for membership and mapping tuples). */
  storeId: string;
  actor: Actor;
}
