import type { Actor } from '../audit/events.ts';

/** A user in a tenant's directory (SCIM-provisioned or created just in time by SSO). */
export interface DirectoryUser {
  id: string;
  tenant_id: string;
  user_name: string;
  external_id: string | null;
  /** Lowercased primary email, if any. */
  email: string | null;
  /** The SCIM directory the user belongs to; null for a user created just in time outside any directory. */
  directory_id: string | null;
  given_name: string | null;
  family_name: string | null;
  display_name: string | null;
  active: boolean;
}

export interface DirectoryGroupRef {
  id: string;
  display_name: string;
  external_id: string | null;
}

/**
 * Which users a lookup may return: the users of one directory, of any of the listed
 * directories, or every user except those of the listed directories (users without a directory
 * included).
 */
export type UserScope = { directoryId: string } | { inDirectories: readonly string[] } | { exceptDirectories: readonly string[] };

/**
 * What SSO needs from the directory to link a federated identity to a user. Implemented by the
 * SCIM directory's store. Reads are tenant-scoped by the tenantId argument.
 */
export interface DirectoryLookup {
  findUserById(tenantId: string, userId: string): DirectoryUser | undefined;
  /** Without a scope, any user of the tenant. */
  findUserByExternalId(tenantId: string, externalId: string, scope?: UserScope): DirectoryUser | undefined;
  /** By any of the user's emails, case-insensitively. Without a scope, any user of the tenant. */
  findUserByEmail(tenantId: string, email: string, scope?: UserScope): DirectoryUser | undefined;
  /** The user holding this user name (unique per tenant, compared case-folded), in any directory. */
  findUserByUserName(tenantId: string, userName: string): DirectoryUser | undefined;
  groupsOfUser(tenantId: string, userId: string): DirectoryGroupRef[];
  /**
   * Just-in-time provisioning at first SSO login, into `directory_id` when given (a live
   * directory of the tenant; the user stays adoptable by that directory's SCIM client, see
   * UserWrites.create). Call inside storage.transaction; audits `directory.user.created`.
   */
  createUserJustInTime(
    tenantId: string,
    input: { user_name: string; email: string | null; external_id: string | null; given_name: string | null; family_name: string | null; display_name: string | null; directory_id?: string | null },
    actor: Actor,
  ): DirectoryUser;
}
