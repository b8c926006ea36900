import type { Actor } from '../audit/events.ts';

/** A user in a tenant's directory (SCIM-provisioned or created just in time by SSO). */
export interface DirectoryUser {
  id: string;
  tenant_id: string;
  user_name: string;
  external_id: string | null;
  /** Lowercased primary email, if any. */
  email: string | null;
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
 * What SSO needs from the directory to link a federated identity to a user. Implemented by the
 * SCIM directory's store. Reads are tenant-scoped by the tenantId argument.
 */
export interface DirectoryLookup {
  findUserById(tenantId: string, userId: string): DirectoryUser | undefined;
  findUserByExternalId(tenantId: string, externalId: string): DirectoryUser | undefined;
  /** By any of the user's emails, case-insensitively. */
  findUserByEmail(tenantId: string, email: string): DirectoryUser | undefined;
  groupsOfUser(tenantId: string, userId: string): DirectoryGroupRef[];
  /** Just-in-time provisioning at first SSO login. Call inside storage.transaction; audits `directory.user.created`. */
  createUserJustInTime(
    tenantId: string,
    input: { user_name: string; email: string | null; external_id: string | null; given_name: string | null; family_name: string | null; display_name: string | null },
    actor: Actor,
  ): DirectoryUser;
}
