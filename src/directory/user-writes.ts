import { canonicalJson } from '../lib/canonical-json.ts';
import { foldCase } from '../lib/case-fold.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import type { Staged } from '../lib/staged.ts';
import { conflict, notFound, preconditionFailed } from '../http/errors.ts';
import type { Storage } from '../storage/storage.ts';
import type { AuditService } from '../audit/service.ts';
import { DirectoryTuples, withPending } from './authz-tuples.ts';
import { deprovisionUser } from './deprovision.ts';
import { AUTHZ_TUPLES_REVOKER, type Deprovisioner } from './deprovisioning.ts';
import { versionMatches } from './etag.ts';
import { USER_SCALAR_COLUMNS, userAuditView, type UserFields, type UserRecord } from './user.ts';
import type { DirectoryWriteContext } from './write-context.ts';

/**
 * Creates, replaces and deletes directory users. Each method runs in one storage transaction
 * (joining the caller's): the change, its audit events, membership tuples and, when the user
 * ends up inactive or deleted, the revocation of everything the user holds. The returned
 * `flush` finishes the remote parts; callers await it before answering.
 */
export class UserWrites {
  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly deprovisioner: Deprovisioner,
    private readonly tuples: DirectoryTuples,
    /** Whether a live SSO connection is bound to the directory (injected: the directory domain does not know SSO). */
    private readonly directoryIsBound: (tenantId: string, directoryId: string) => boolean = () => false,
  ) {}

  get #deps() {
    return { storage: this.storage, audit: this.audit, deprovisioner: this.deprovisioner };
  }

  get(ctx: Pick<DirectoryWriteContext, 'tenantId' | 'directoryId'>, id: string): UserRecord {
    const user = this.storage.forTenant(ctx.tenantId).directoryUsers.find(id);
    if (!user || user.directory_id !== ctx.directoryId) throw notFound('user');
    return user;
  }

  /**
   * Creates a user. A user created just in time by SSO with the same userName, that SCIM has
   * not written since, is adopted: it joins this directory and takes the pushed attributes. That
   * is a user without a directory, or one created just in time into this very directory (by a
   * connection bound to it); one in another directory is another directory's user (409).
   *
   * Adopting a user from outside any directory into a directory a connection is bound to
   * revokes what it holds for signing in (sessions with back-channel logout, refresh tokens,
   * grants), in this request: any unbound connection could sign it in until now, and from now on
   * only the bound ones can, so what the others obtained must not outlive the adoption. Its
   * authorization tuples stay (`scim_adopted`).
   */
  create(ctx: DirectoryWriteContext, fields: UserFields): Staged<UserRecord> {
    const users = this.storage.forTenant(ctx.tenantId).directoryUsers;
    return this.storage.transaction(() => {
      const existing = users.findByUserName(fields.user_name);
      if (existing && !adoptableBy(existing, ctx.directoryId)) throw userNameTaken(fields.user_name);
      if (existing) {
        const adopted = this.#replace(ctx, existing, fields, { adopt: true });
        if (existing.directory_id !== null || !adopted.staged.active || !this.directoryIsBound(ctx.tenantId, ctx.directoryId)) return adopted;
        const revoked = deprovisionUser(this.#deps, ctx, existing.id, 'scim_adopted', { alwaysAudit: true, except: [AUTHZ_TUPLES_REVOKER] });
        return withPending(adopted.staged, [adopted, revoked]);
      }
      const now = this.clock.now();
      const id = newId('usr', now.getTime());
      users.insert({ ...fields, id, directory_id: ctx.directoryId, version: 1, created_at: now.toISOString(), updated_at: now.toISOString() });
      const created = users.find(id) as UserRecord;
      this.audit.record(ctx.tenantId, { action: 'directory.user.created', target: { type: 'user', id }, after: userAuditView(created) }, ctx.actor);
      if (!created.active) {
        return withPending(created, [deprovisionUser(this.#deps, ctx, id, 'scim_deactivated', { alwaysAudit: false })]);
      }
      return withPending(created, []);
    });
  }

  /** Replaces every writable field (PUT, and PATCH after the operations were applied). */
  replace(ctx: DirectoryWriteContext, id: string, fields: UserFields, ifMatch: string | undefined): Staged<UserRecord> {
    return this.storage.transaction(() => {
      const current = this.get(ctx, id);
      if (!versionMatches(ifMatch, current.version)) throw preconditionFailed();
      return this.#replace(ctx, current, fields, { adopt: false });
    });
  }

  delete(ctx: DirectoryWriteContext, id: string, ifMatch: string | undefined): Staged<UserRecord> {
    const repo = this.storage.forTenant(ctx.tenantId);
    return this.storage.transaction(() => {
      const current = this.get(ctx, id);
      if (!versionMatches(ifMatch, current.version)) throw preconditionFailed();
      const now = this.clock.now().toISOString();
      const groups = repo.directoryGroups.groupsOfUser(id);
      for (const g of groups) {
        repo.directoryGroups.removeMembers(g.id, [id]);
        repo.directoryGroups.touch(g.id, now);
      }
      const membershipTuples = groups.map((g) => this.tuples.removeMembers(ctx.storeId, g.id, [id], ctx.actor));
      repo.directoryUsers.softDelete(id, now);
      const revoked = deprovisionUser(this.#deps, ctx, id, 'scim_deleted', { alwaysAudit: true });
      this.audit.record(
        ctx.tenantId,
        {
          action: 'directory.user.deleted',
          target: { type: 'user', id },
          before: userAuditView(current),
          metadata: { groups_left: groups.map((g) => g.id) },
        },
        ctx.actor,
      );
      return withPending(current, [...membershipTuples, revoked]);
    });
  }

  /**
   * A DELETE repeated for a user this directory already deleted runs the revokers again (no audit
   * unless something was still there): the first attempt's remote part may have failed (OpenFGA
   * unreachable) after the deletion committed, and the retry is the IdP's only way to finish it.
   * Undefined when there is no such user (the caller answers 404 either way).
   */
  finishDeletion(ctx: DirectoryWriteContext, id: string): Staged<Record<string, number>> | undefined {
    return this.storage.transaction(() => {
      if (this.storage.forTenant(ctx.tenantId).directoryUsers.deletedUserDirectory(id) !== ctx.directoryId) return undefined;
      return deprovisionUser(this.#deps, ctx, id, 'scim_deleted', { alwaysAudit: false });
    });
  }

  #replace(ctx: DirectoryWriteContext, current: UserRecord, fields: UserFields, o: { adopt: boolean }): Staged<UserRecord> {
    const repo = this.storage.forTenant(ctx.tenantId);
    if (foldCase(fields.user_name) !== foldCase(current.user_name)) {
      const holder = repo.directoryUsers.findByUserName(fields.user_name);
      if (holder && holder.id !== current.id) throw userNameTaken(fields.user_name);
    }
    const pending: Staged<unknown>[] = [];
    let after = current;
    if (o.adopt || !sameFields(current, fields)) {
      const now = this.clock.now().toISOString();
      const ok = repo.directoryUsers.update(current.id, current.version, fields, now, o.adopt ? ctx.directoryId : undefined);
      if (!ok) throw preconditionFailed();
      // The groups list each member's displayName (`members[].display`): their ETags move with it.
      if (fields.display_name !== current.display_name) repo.directoryGroups.touchGroupsOf(current.id, now);
      after = repo.directoryUsers.find(current.id) as UserRecord;
      this.audit.record(
        ctx.tenantId,
        {
          action: 'directory.user.updated',
          target: { type: 'user', id: current.id },
          before: userAuditView(current),
          after: userAuditView(after),
          ...(o.adopt ? { metadata: { adopted_into_directory: ctx.directoryId } } : {}),
        },
        ctx.actor,
      );
    }
    const target = { type: 'user', id: current.id };
    if (current.active && !after.active) {
      this.audit.record(ctx.tenantId, { action: 'directory.user.deactivated', target }, ctx.actor);
    }
    if (!after.active) {
      // Also when already inactive: a retried deactivation finishes revocations a failed flush left behind.
      pending.push(deprovisionUser(this.#deps, ctx, current.id, 'scim_deactivated', { alwaysAudit: current.active }));
    }
    if (!current.active && after.active) {
      const groupIds = repo.directoryGroups.groupsOfUser(current.id).map((g) => g.id);
      pending.push(...groupIds.map((g) => this.tuples.addMembers(ctx.storeId, g, [current.id], ctx.actor)));
      this.audit.record(ctx.tenantId, { action: 'directory.user.reactivated', target, metadata: { memberships_restored: groupIds.length } }, ctx.actor);
    }
    return withPending(after, pending);
  }
}

const adoptableBy = (u: UserRecord, directoryId: string) => !u.pushed_by_scim && (u.directory_id === null || u.directory_id === directoryId);

const userNameTaken = (userName: string) => conflict('user_name_taken', `A user with userName '${userName}' already exists.`);

function sameFields(a: UserFields, b: UserFields): boolean {
  const pick = (u: UserFields) => [...USER_SCALAR_COLUMNS.map((c) => u[c]), u.active, u.emails, u.phone_numbers, u.addresses];
  return canonicalJson(pick(a)) === canonicalJson(pick(b));
}
