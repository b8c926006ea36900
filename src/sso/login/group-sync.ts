import type { Actor } from '../../audit/events.ts';
import type { Staged } from '../../lib/staged.ts';
import { stagedDone } from '../../lib/staged.ts';
import { OpenFgaError, isConditionConflict } from '../../authz/errors.ts';
import type { Connection } from '../connections/connection.ts';
import type { LoginDeps } from './deps.ts';
import { LoginFailure } from './failures.ts';

/** The tenant's organization object in its authorization store. */
export const organizationObject = (tenantId: string) => `organization:${tenantId}`;

/** The relations a connection's group mappings give someone in `groups` (sorted, once each). */
const relationsFor = (connection: Connection, groups: string[]): string[] => {
  const present = new Set(groups);
  return [...new Set(connection.group_mappings.filter((m) => present.has(m.idp_group)).map((m) => m.relation))].sort();
};

/**
 * Maps the IdP groups received at login to relations on the tenant's organization, per the
 * connection's group mappings: relations whose group is present are written, mapped relations
 * whose group is absent are deleted. When the IdP signalled a groups overage (it left the groups
 * out because there were too many), nothing is written or deleted: the mapped relations are
 * returned as `unchanged`. Stage inside the login transaction; flush before answering. The tuple
 * events are the signing-in person's (`actor`), as the sign-in's own events are.
 */
export function stageGroupRelations(
  deps: LoginDeps,
  storeId: string,
  tenantId: string,
  connection: Connection,
  userId: string,
  groups: string[],
  overage: boolean,
  actor: Actor,
): { granted: string[]; removed: string[]; unchanged: string[]; staged: Staged<number> } {
  const mapped = new Set(connection.group_mappings.map((m) => m.relation));
  if (mapped.size === 0) return { granted: [], removed: [], unchanged: [], staged: stagedDone(0) };
  if (overage) return { granted: [], removed: [], unchanged: [...mapped].sort(), staged: stagedDone(0) };
  const granted = relationsFor(connection, groups);
  const removed = [...mapped].filter((r) => !granted.includes(r)).sort();
  const writer = deps.authzWriter();
  if (!writer) {
    deps.logger.warn({ connection_id: connection.id }, 'group mappings configured but no authorization writer is available');
    return { granted: [], removed: [], unchanged: [], staged: stagedDone(0) };
  }
  const user = `user:${userId}`;
  const object = organizationObject(tenantId);
  let staged: Staged<number>;
  try {
    staged = writer.stage(storeId, {
      writes: granted.map((relation) => ({ user, relation, object })),
      deletes: removed.map((relation) => ({ user, relation, object })),
    }, actor);
  } catch (err) {
    throw asMappingFailure(err) ?? err;
  }
  return { granted, removed, unchanged: [], staged };
}

/**
 * The authorization store refused the mapped tuples themselves — a 400 (the tenant's model, which
 * an app may replace, lacks the mapped relation), or a 409 for a role the app already granted the
 * person with a condition (a mapped role is unconditional) — a mapping the admin must fix, not an
 * outage.
 */
export function asMappingFailure(err: unknown): LoginFailure | undefined {
  if (!(err instanceof OpenFgaError)) return undefined;
  if (isConditionConflict(err)) {
    return new LoginFailure('group_mapping_invalid', `the person already holds a mapped role with a condition (written by the app), which the unconditional mapped role would replace: ${err.message}`);
  }
  if (err.status !== 400) return undefined;
  return new LoginFailure('group_mapping_invalid', `the tenant's authorization model refuses the mapped roles: ${err.message}`);
}

/**
 * A connection's group mappings no longer name `relations` (a mapping removed or changed, or the
 * connection deleted): takes them off the organization for everyone who signed in through it,
 * since only a sign-in would otherwise touch them, and it no longer does. Stage inside the
 * connection change's transaction; flush before answering.
 */
export function stageUnmappedRelations(
  deps: Pick<LoginDeps, 'storage' | 'sessions' | 'authzWriter'>,
  tenantId: string,
  connectionId: string,
  relations: string[],
  actor: Actor,
): Staged<number> {
  const writer = deps.authzWriter();
  const tenant = deps.storage.unscoped.tenants.findById(tenantId);
  if (relations.length === 0 || !writer || !tenant) return stagedDone(0);
  const object = organizationObject(tenantId);
  const deletes = deps.sessions.usersSignedInThrough(tenantId, connectionId).flatMap((id) => relations.map((relation) => ({ user: `user:${id}`, relation, object })));
  return deletes.length === 0 ? stagedDone(0) : writer.stage(tenant.authz_store_id, { deletes }, actor);
}

/**
 * After a sign-in's roles reached a remote server (written after its transaction committed): a
 * deprovisioning or a mapping change that committed while the write was on its way found nothing
 * to delete yet, so what it would have taken away is taken away now. Re-derives the granted
 * relations from the user and connection as they are now: none for a user no longer active (or
 * deleted) or a deleted connection, else those the connection's current mappings give `groups`.
 * Anything committed after this check deletes after the write, which it then sees.
 */
export async function withdrawOvertakenGrants(
  deps: LoginDeps,
  storeId: string,
  tenantId: string,
  connectionId: string,
  userId: string,
  groups: string[],
  granted: string[],
): Promise<{ userActive: boolean; withdrawn: string[] }> {
  const { userActive, withdrawn, staged } = deps.storage.transaction(() => {
    const userActive = deps.directory()?.findUserById(tenantId, userId)?.active === true;
    const connection = deps.connections.repo(tenantId).find(connectionId);
    const still = new Set(userActive && connection ? relationsFor(connection, groups) : []);
    const withdrawn = granted.filter((r) => !still.has(r));
    const writer = deps.authzWriter();
    const object = organizationObject(tenantId);
    const deletes = withdrawn.map((relation) => ({ user: `user:${userId}`, relation, object }));
    return { userActive, withdrawn, staged: writer && deletes.length > 0 ? writer.stage(storeId, { deletes }) : stagedDone(0) };
  });
  await staged.flush();
  return { userActive, withdrawn };
}
