import type { Actor } from '../../audit/events.ts';
import type { DirectoryLookup, DirectoryUser } from '../../directory/lookup.ts';
import type { IdpIdentity } from '../identity.ts';
import { ApiError } from '../../http/errors.ts';
import { LoginFailure } from './failures.ts';
import type { LoginDeps } from './deps.ts';

export type LinkedBy = 'external_id' | 'verified_email' | 'jit';

/**
 * Finds the directory user this identity is: by external id first, then by email when the
 * email's domain is verified for the tenant; else creates one just in time if the tenant allows
 * (refused when the user name is taken: never merged into someone else). Deactivated users are
 * refused. Call inside the login transaction.
 */
export function linkIdentity(
  deps: LoginDeps,
  tenantId: string,
  identity: IdpIdentity,
  actor: Actor,
): { user: DirectoryUser; linkedBy: LinkedBy } {
  const directory = deps.directory();
  if (!directory) throw new LoginFailure('directory_unavailable', 'no directory is configured', { tenantId });
  const found = findExisting(deps, directory, tenantId, identity);
  if (found) {
    if (!found.user.active) throw new LoginFailure('user_deactivated', `user ${found.user.id} is deactivated`, { tenantId, userId: found.user.id });
    return found;
  }
  if (!deps.settings.get(tenantId).jit_provisioning) {
    throw new LoginFailure('user_not_provisioned', `no directory user for external id '${identity.external_id}' and JIT provisioning is off`, { tenantId });
  }
  const userName = identity.email ?? identity.external_id;
  try {
    const user = directory.createUserJustInTime(
      tenantId,
      {
        user_name: userName,
        email: identity.email,
        external_id: identity.external_id,
        given_name: identity.given_name,
        family_name: identity.family_name,
        display_name: identity.name,
      },
      actor,
    );
    return { user, linkedBy: 'jit' };
  } catch (err) {
    // Someone else already has this user name, and nothing proves this identity is them: neither
    // its external id nor an email in a domain the tenant verified. Refused, never merged.
    if (err instanceof ApiError && err.code === 'user_name_taken') {
      throw new LoginFailure('user_name_taken', `a directory user is already named '${userName}'; external id '${identity.external_id}' is not linked to it (no matching external id, no email in a verified domain)`, { tenantId });
    }
    throw err;
  }
}

function findExisting(deps: LoginDeps, directory: DirectoryLookup, tenantId: string, identity: IdpIdentity) {
  const byExternal = directory.findUserByExternalId(tenantId, identity.external_id);
  if (byExternal) return { user: byExternal, linkedBy: 'external_id' as const };
  const email = identity.email;
  if (!email) return undefined;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (!deps.domains.isVerifiedFor(tenantId, domain)) return undefined;
  const byEmail = directory.findUserByEmail(tenantId, email);
  return byEmail ? { user: byEmail, linkedBy: 'verified_email' as const } : undefined;
}
