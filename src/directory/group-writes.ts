import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import type { Staged } from '../lib/staged.ts';
import { ApiError, conflict, notFound, preconditionFailed } from '../http/errors.ts';
import type { Storage } from '../storage/storage.ts';
import type { AuditService } from '../audit/service.ts';
import { DirectoryTuples, withPending } from './authz-tuples.ts';
import { versionMatches } from './etag.ts';
import type { GroupFields, GroupMember, GroupRecord } from './group.ts';
import type { DirectoryWriteContext } from './write-context.ts';

type Ctx = Pick<DirectoryWriteContext, 'tenantId' | 'directoryId'>;

/**
 * Creates, replaces and deletes groups and their memberships. Membership of an active user is
 * the tuple (user:U, member, group:G); removing a member deletes that tuple in the same
 * transaction (or in `flush`, on the OpenFGA backend) and the audit event says how many went.
 */
export class GroupWrites {
  constructor(
    private readonly storage: Storage,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly tuples: DirectoryTuples,
  ) {}

  get(ctx: Ctx, id: string): GroupRecord {
    const group = this.storage.forTenant(ctx.tenantId).directoryGroups.find(id);
    if (!group || group.directory_id !== ctx.directoryId) throw notFound('group');
    return group;
  }

  members(ctx: Ctx, id: string): GroupMember[] {
    return this.storage.forTenant(ctx.tenantId).directoryGroups.members(id);
  }

  create(ctx: DirectoryWriteContext, fields: GroupFields, memberIds: readonly string[]): Staged<GroupRecord> {
    const groups = this.storage.forTenant(ctx.tenantId).directoryGroups;
    return this.storage.transaction(() => {
      this.#assertNameFree(ctx, fields.display_name, undefined);
      const active = this.#members(ctx, memberIds);
      const now = this.clock.now();
      const id = newId('grp', now.getTime());
      groups.insert({ ...fields, id, directory_id: ctx.directoryId, version: 1, created_at: now.toISOString(), updated_at: now.toISOString() });
      const created = groups.find(id) as GroupRecord;
      this.audit.record(ctx.tenantId, { action: 'directory.group.created', target: { type: 'group', id }, after: groupAuditView(created) }, ctx.actor);
      const added = this.#addMembers(ctx, id, [...active.keys()], active);
      this.storage.forTenant(ctx.tenantId).directoryUsers.touch(added.userIds, now.toISOString());
      return withPending(created, [added.tuples]);
    });
  }

  /** Replaces the fields and, when `memberIds` is given, the whole member list (as a diff). */
  replace(ctx: DirectoryWriteContext, id: string, fields: GroupFields, memberIds: readonly string[] | undefined, ifMatch: string | undefined): Staged<GroupRecord> {
    const groups = this.storage.forTenant(ctx.tenantId).directoryGroups;
    return this.storage.transaction(() => {
      const current = this.get(ctx, id);
      if (!versionMatches(ifMatch, current.version)) throw preconditionFailed();
      const now = this.clock.now().toISOString();
      const pending: Staged<unknown>[] = [];
      const fieldsChanged = fields.display_name !== current.display_name || fields.external_id !== current.external_id;
      if (fieldsChanged) {
        this.#assertNameFree(ctx, fields.display_name, id);
        if (!groups.update(id, current.version, fields, now)) throw preconditionFailed();
      }
      let added: MembershipChange | undefined;
      let removed: MembershipChange | undefined;
      if (memberIds !== undefined) {
        const wanted = this.#members(ctx, memberIds);
        const existing = new Set(groups.members(id).map((m) => m.user_id));
        const toAdd = [...wanted.keys()].filter((u) => !existing.has(u));
        const toRemove = [...existing].filter((u) => !wanted.has(u));
        added = this.#addMembers(ctx, id, toAdd, wanted);
        removed = this.#removeMembers(ctx, id, toRemove);
        pending.push(added.tuples, removed.tuples);
        if (!fieldsChanged && added.userIds.length + removed.userIds.length > 0) groups.touch(id, now);
      }
      this.#touchUsers(ctx, id, fields.display_name !== current.display_name, added?.userIds ?? [], removed?.userIds ?? [], now);
      const after = groups.find(id) as GroupRecord;
      if (fieldsChanged) {
        this.audit.record(
          ctx.tenantId,
          { action: 'directory.group.updated', target: { type: 'group', id }, before: groupAuditView(current), after: groupAuditView(after) },
          ctx.actor,
        );
      }
      return withPending(after, pending);
    });
  }

  delete(ctx: DirectoryWriteContext, id: string, ifMatch: string | undefined): Staged<GroupRecord> {
    const groups = this.storage.forTenant(ctx.tenantId).directoryGroups;
    return this.storage.transaction(() => {
      const current = this.get(ctx, id);
      if (!versionMatches(ifMatch, current.version)) throw preconditionFailed();
      const members = groups.members(id).map((m) => m.user_id);
      const mappings = groups.mappingsOfGroup(id).map((m) => m.relation);
      const tuples = this.tuples.deleteGroup(ctx.storeId, id, ctx.actor);
      this.storage.forTenant(ctx.tenantId).directoryUsers.touchMembersOf(id, this.clock.now().toISOString());
      groups.delete(id);
      this.audit.record(
        ctx.tenantId,
        {
          action: 'directory.group.deleted',
          target: { type: 'group', id },
          before: groupAuditView(current),
          metadata: { members_removed: members.length, user_ids: members, mappings_removed: mappings, tuples_deleted: tuples.staged },
        },
        ctx.actor,
      );
      return withPending(current, [tuples]);
    });
  }

  /** The wanted members that exist in the directory, with whether each is active; 400 for any other id. */
  #members(ctx: Ctx, memberIds: readonly string[]): Map<string, boolean> {
    const found = this.storage.forTenant(ctx.tenantId).directoryUsers.existingInDirectory(ctx.directoryId, memberIds);
    const unknown = [...new Set(memberIds)].filter((m) => !found.has(m));
    if (unknown.length > 0) {
      throw new ApiError(400, 'invalid_member', `No user with id ${unknown.slice(0, 5).join(', ')} in this directory.`);
    }
    return found;
  }

  /**
   * A user's ETag and lastModified move with its `groups`: the members added or removed, and every
   * member when the group's displayName changed (each user once).
   */
  #touchUsers(ctx: Ctx, groupId: string, renamed: boolean, added: readonly string[], removed: readonly string[], now: string): void {
    const users = this.storage.forTenant(ctx.tenantId).directoryUsers;
    if (renamed) users.touchMembersOf(groupId, now);
    users.touch(renamed ? removed : [...added, ...removed], now);
  }

  #addMembers(ctx: DirectoryWriteContext, groupId: string, userIds: string[], active: Map<string, boolean>): MembershipChange {
    const added = this.storage.forTenant(ctx.tenantId).directoryGroups.addMembers(groupId, userIds, this.clock.now().toISOString());
    if (added.length === 0) return { userIds: [], tuples: this.tuples.addMembers(ctx.storeId, groupId, [], ctx.actor) };
    const written = added.filter((u) => active.get(u));
    const tuples = this.#rechecked(ctx, groupId, written, this.tuples.addMembers(ctx.storeId, groupId, written, ctx.actor));
    this.audit.record(
      ctx.tenantId,
      { action: 'directory.group.members_added', target: { type: 'group', id: groupId }, metadata: { user_ids: added, count: added.length, tuples_written: tuples.staged } },
      ctx.actor,
    );
    return { userIds: added, tuples };
  }

  /**
   * A remote write lands after the commit: a deactivation, deletion or removal of one of these
   * members that committed meanwhile found no tuple to delete. Once the write is done, the
   * memberships that no longer hold are deleted (a change committed after this check sees the write).
   */
  #rechecked(ctx: DirectoryWriteContext, groupId: string, userIds: string[], written: Staged<number>): Staged<number> {
    if (!written.remote) return written;
    let flushed: Promise<number> | undefined;
    const recheck = async () => {
      const n = await written.flush();
      const undo = this.storage.transaction(() => {
        const repo = this.storage.forTenant(ctx.tenantId);
        const active = repo.directoryUsers.existingInDirectory(ctx.directoryId, userIds);
        const members = repo.directoryGroups.membersAmong(groupId, userIds);
        return this.tuples.removeMembers(ctx.storeId, groupId, userIds.filter((u) => !(active.get(u) && members.has(u))), ctx.actor);
      });
      await undo.flush();
      return n;
    };
    return { staged: written.staged, remote: true, flush: () => (flushed ??= recheck()) };
  }

  #removeMembers(ctx: DirectoryWriteContext, groupId: string, userIds: string[]): MembershipChange {
    const removed = this.storage.forTenant(ctx.tenantId).directoryGroups.removeMembers(groupId, userIds);
    const tuples = this.tuples.removeMembers(ctx.storeId, groupId, removed, ctx.actor);
    if (removed.length > 0) {
      this.audit.record(
        ctx.tenantId,
        { action: 'directory.group.members_removed', target: { type: 'group', id: groupId }, metadata: { user_ids: removed, count: removed.length, tuples_deleted: tuples.staged } },
        ctx.actor,
      );
    }
    return { userIds: removed, tuples };
  }

  #assertNameFree(ctx: Ctx, displayName: string, exceptId: string | undefined): void {
    const holder = this.storage.forTenant(ctx.tenantId).directoryGroups.findByDisplayName(ctx.directoryId, displayName);
    if (holder && holder.id !== exceptId) throw conflict('display_name_taken', `A group named '${displayName}' already exists in this directory.`);
  }
}

/** The memberships one call actually added or removed, and their staged tuple change. */
interface MembershipChange {
  userIds: string[];
  tuples: Staged<number>;
}

export const groupAuditView = (g: GroupRecord) => ({ display_name: g.display_name, external_id: g.external_id, directory_id: g.directory_id, version: g.version });
