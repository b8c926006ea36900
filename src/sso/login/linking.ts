import type { Actor } from '../../audit/events.ts';
import type { DirectoryLookup, DirectoryUser, UserScope } from '../../directory/lookup.ts';
import type { Connection } from '../connections/connection.ts';
import type { IdpIdentity } from '../identity.ts';
import { ApiError } from '../../http/errors.ts';
import { SCIM_LIMITS } from '../../directory/scim/limits.ts';
import { LoginFailure } from './failures.ts';
import { emailSpellings } from '../domains/canonical.ts';
import type { LoginDeps } from './deps.ts';

export type LinkedBy = 'external_id' | 'verified_email' | 'jit';

/** How a sign-in becomes a directory user, decided before anything is written. */
export type LinkPlan =
  | { kind: 'existing'; user: DirectoryUser; linkedBy: Exclude<LinkedBy, 'jit'> }
  | { kind: 'jit'; directoryId: string | null; userName: string };

/**
 * Finds the directory user this identity is: by external id first, then by email when the
 * email's domain is verified for the tenant. A connection bound to a directory looks only among
 * that directory's users. An unbound connection looks among all users but those of directories
 * some connection is bound to: when the match is such a user (and no other user fits), the
 * sign-in is refused (`user_directory_mismatch`) — that directory's users sign in only through
 * connections bound to it. Deactivated users are refused, and a user to be created just in time
 * whose user name someone else holds (never merged: `user_name_taken`). Reads only.
 */
export function planLink(deps: LoginDeps, tenantId: string, connection: Connection, identity: IdpIdentity): LinkPlan {
  const directory = deps.directory();
  if (!directory) throw new LoginFailure('directory_unavailable', 'no directory is configured', { tenantId });
  // The connection as stored now: finishLogin re-reads it in the sign-in's transaction (an admin
  // may have rebound or deleted it while the sign-in waited for the IdP).
  const boundTo = connection.directory_id;
  // The directories some live connection is bound to: read once, when first needed.
  let bound: string[] | undefined;
  const boundDirectories = () => (bound ??= deps.connections.repo(tenantId).boundDirectories());
  const found = boundTo
    ? findExisting(deps, directory, tenantId, identity, { directoryId: boundTo })
    : findOutsideBoundDirectories(deps, directory, tenantId, connection, identity, boundDirectories);
  // The email the user would carry into ID tokens (the matched user's, or the one a new user would get).
  if (!boundTo) assertEmailNotReserved(directory, tenantId, connection, found ? found.user.email : identity.email, boundDirectories);
  if (found) {
    if (!found.user.active) throw new LoginFailure('user_deactivated', `user ${found.user.id} is deactivated`, { tenantId, userId: found.user.id, directoryId: found.user.directory_id ?? undefined });
    return { kind: 'existing', ...found };
  }
  if (!deps.settings.get(tenantId).jit_provisioning) {
    throw new LoginFailure('user_not_provisioned', `no directory user for external id '${identity.external_id}'${inDirectory(connection.id, boundTo)} and JIT provisioning is off`, { tenantId });
  }
  // A bound connection's new user must not carry another bound directory's email either (a look-alike, as above).
  if (boundTo) assertEmailNotReserved(directory, tenantId, connection, identity.email, () => boundDirectories().filter((d) => d !== boundTo));
  const userName = jitUserName(identity, { tenantId });
  const holder = directory.findUserByUserName(tenantId, userName);
  if (holder) throw userNameTaken(connection, identity, userName, boundTo, { tenantId, userId: holder.id, directoryId: holder.directory_id ?? undefined });
  return { kind: 'jit', directoryId: boundTo, userName };
}

/**
 * A new user's `userName`: the email, else the external id. It must be one a SCIM client could
 * have sent (SCIM's 256 characters), or the directory would hold a user its IdP can never name:
 * without an email, a longer external id (an opaque SAML NameID) is refused, never cut or hashed
 * (a made-up name would match no SCIM push, and a cut one could be someone else's).
 */
function jitUserName(identity: IdpIdentity, context: LoginFailure['context']): string {
  const userName = identity.email ?? identity.external_id;
  const length = [...userName.normalize('NFC')].length;
  if (length > SCIM_LIMITS.maxNameLength) {
    throw new LoginFailure(
      'idp_value_too_long',
      `${identity.email_unused ?? 'the IdP sent no email'}, and the external id (${length} characters) would be the new user's userName, above the directory's ${SCIM_LIMITS.maxNameLength}: map an email attribute, or have the IdP send a shorter external id`,
      context,
    );
  }
  return userName;
}

// Someone else already has this user name, and nothing proves this identity is them: neither its
// external id nor an email in a domain the tenant verified. Refused, never merged.
const userNameTaken = (connection: Connection, identity: IdpIdentity, userName: string, directoryId: string | null, context: LoginFailure['context']) =>
  new LoginFailure('user_name_taken', `a directory user is already named '${userName}'; external id '${identity.external_id}' is not linked to it (no matching external id, no email in a verified domain${inDirectory(connection.id, directoryId)})`, context);

/**
 * `planLink`, then the user created just in time if so planned: in the connection's directory
 * when it is bound to one (so it is reserved to that directory's connections like a SCIM user,
 * and that directory's SCIM client adopts it by userName), else outside any directory. Refused
 * when the user name is taken: never merged into someone else. Call inside the login transaction.
 */
export function linkIdentity(deps: LoginDeps, tenantId: string, connection: Connection, identity: IdpIdentity, actor: Actor): { user: DirectoryUser; linkedBy: LinkedBy } {
  const plan = planLink(deps, tenantId, connection, identity);
  if (plan.kind === 'existing') return plan;
  const directory = deps.directory() as DirectoryLookup;
  try {
    const user = directory.createUserJustInTime(
      tenantId,
      {
        user_name: plan.userName,
        email: identity.email,
        external_id: identity.external_id,
        given_name: identity.given_name,
        family_name: identity.family_name,
        display_name: identity.name,
        directory_id: plan.directoryId,
      },
      actor,
    );
    return { user, linkedBy: 'jit' };
  } catch (err) {
    // Taken between the plan and the insert (another sign-in just in time with the same name).
    if (err instanceof ApiError && err.code === 'user_name_taken') throw userNameTaken(connection, identity, plan.userName, plan.directoryId, { tenantId });
    throw err;
  }
}

const inDirectory = (connectionId: string, directoryId: string | null) => (directoryId ? ` in directory ${directoryId}, to which connection ${connectionId} is bound` : '');

type Found = { user: DirectoryUser; linkedBy: Exclude<LinkedBy, 'jit'> };

/** By external id, then by an email in a verified domain, within `scope` (any user without one). */
function findExisting(deps: LoginDeps, directory: DirectoryLookup, tenantId: string, identity: IdpIdentity, scope?: UserScope): Found | undefined {
  const byExternal = directory.findUserByExternalId(tenantId, identity.external_id, scope);
  if (byExternal) return { user: byExternal, linkedBy: 'external_id' };
  const email = verifiedEmail(deps, tenantId, identity);
  const byEmail = email ? findUserByAnySpelling(directory, tenantId, email, scope) : undefined;
  return byEmail ? { user: byEmail, linkedBy: 'verified_email' } : undefined;
}

/**
 * An unbound connection's lookup, in today's order. The first query is the same as without
 * bindings; a match in a directory costs one probe of whether it is bound, and only a match in a
 * bound directory costs more (the bound directories, and the same lookup without them).
 */
function findOutsideBoundDirectories(
  deps: LoginDeps,
  directory: DirectoryLookup,
  tenantId: string,
  connection: Connection,
  identity: IdpIdentity,
  boundDirectories: () => string[],
): Found | undefined {
  const bindings = deps.connections.repo(tenantId);
  const allowed = (user: DirectoryUser | undefined, linkedBy: Found['linkedBy'], again: (scope: UserScope) => DirectoryUser | undefined): Found | undefined => {
    if (!user) return undefined;
    if (user.directory_id === null || !bindings.isBound(user.directory_id)) return { user, linkedBy };
    const other = again({ exceptDirectories: boundDirectories() });
    if (other) return { user: other, linkedBy };
    throw new LoginFailure(
      'user_directory_mismatch',
      `matched user ${user.id} (by ${linkedBy}) belongs to directory ${user.directory_id}, which connection ${connection.id} is not bound to; that directory's users sign in only through the connections bound to it`,
      { tenantId, userId: user.id, directoryId: user.directory_id },
    );
  };
  const byExternal = allowed(directory.findUserByExternalId(tenantId, identity.external_id), 'external_id', (scope) => directory.findUserByExternalId(tenantId, identity.external_id, scope));
  if (byExternal) return byExternal;
  const email = verifiedEmail(deps, tenantId, identity);
  if (!email) return undefined;
  return allowed(findUserByAnySpelling(directory, tenantId, email), 'verified_email', (scope) => findUserByAnySpelling(directory, tenantId, email, scope));
}

/**
 * An email a bound directory's user holds is reserved to that directory: an unbound connection
 * must not sign anyone in as a user carrying it (a look-alike its IdP made before the directory
 * pushed the person, or a user another directory pushed with that email), or apps that link
 * accounts by email would take it for that person; nor may a connection bound to another
 * directory create such a user just in time. One query when no directory is bound.
 */
function assertEmailNotReserved(directory: DirectoryLookup, tenantId: string, connection: Connection, email: string | null, boundDirectories: () => string[]): void {
  if (!email) return;
  const bound = boundDirectories();
  if (bound.length === 0) return;
  const holder = findUserByAnySpelling(directory, tenantId, email, { inDirectories: bound });
  if (!holder) return;
  throw new LoginFailure(
    'user_directory_mismatch',
    `the email ${email} belongs to user ${holder.id} of directory ${holder.directory_id}, which connection ${connection.id} is not bound to; that directory's users (and their emails) sign in only through the connections bound to it`,
    { tenantId, userId: holder.id, directoryId: holder.directory_id ?? undefined },
  );
}

/**
 * The user holding `email` in any spelling of its domain (as given first, then its A-labels and
 * its U-labels: `anna@bücher.example` is `anna@xn--bcher-kva.example`, and a look-alike such as
 * `anna@ｂüｃｈｅｒ.example` is taken as what UTS #46 maps it to). One query for an ASCII domain.
 */
function findUserByAnySpelling(directory: DirectoryLookup, tenantId: string, email: string, scope?: UserScope): DirectoryUser | undefined {
  for (const spelling of emailSpellings(email)) {
    const user = directory.findUserByEmail(tenantId, spelling, scope);
    if (user) return user;
  }
  return undefined;
}

function verifiedEmail(deps: LoginDeps, tenantId: string, identity: IdpIdentity): string | undefined {
  const email = identity.email;
  if (!email) return undefined;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  return deps.domains.isVerifiedFor(tenantId, domain) ? email : undefined;
}
