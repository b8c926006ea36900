import type { Sql } from '../storage/database.ts';
import type { DirectoryGroupRef } from './lookup.ts';
import type { GroupFields, GroupMember, GroupRecord, GroupRoleMapping } from './group.ts';
import type { ResourceQuery } from './sql-fragment.ts';

/** One tenant's groups, memberships and group→role mappings. */
export class SqliteDirectoryGroups {
  constructor(
    private readonly sql: Sql,
    readonly tenantId: string,
  ) {}

  insert(g: Omit<GroupRecord, 'tenant_id'>): void {
    this.sql
      .prepare(
        `INSERT INTO directory_groups (id, tenant_id, directory_id, display_name, external_id, version, created_at, updated_at)
         VALUES (@id, @tenant_id, @directory_id, @display_name, @external_id, @version, @created_at, @updated_at)`,
      )
      .run({ ...g, tenant_id: this.tenantId });
  }

  /** Compare-and-set on the version (the ETag); membership changes bump it too. */
  update(id: string, expectedVersion: number, fields: GroupFields, updatedAt: string): boolean {
    return (
      this.sql
        .prepare(
          `UPDATE directory_groups SET display_name = @display_name, external_id = @external_id, version = version + 1,
           updated_at = @updated_at WHERE id = @id AND tenant_id = @tenant_id AND version = @expected`,
        )
        .run({ ...fields, updated_at: updatedAt, id, tenant_id: this.tenantId, expected: expectedVersion }).changes === 1
    );
  }

  /** Bumps the version after a membership change made under an already-checked version. */
  touch(id: string, updatedAt: string): void {
    this.sql
      .prepare('UPDATE directory_groups SET version = version + 1, updated_at = ? WHERE id = ? AND tenant_id = ?')
      .run(updatedAt, id, this.tenantId);
  }

  /**
   * Bumps version and `updated_at` of every group the user is in (its `display` in their members
   * changed). `+tenant_id`: by group id, not every group of the tenant.
   */
  touchGroupsOf(userId: string, updatedAt: string): void {
    this.sql
      .prepare(
        `UPDATE directory_groups SET version = version + 1, updated_at = ?
         WHERE +tenant_id = ? AND id IN (SELECT group_id FROM directory_memberships WHERE user_id = ?)`,
      )
      .run(updatedAt, this.tenantId, userId);
  }

  /** Deletes the group with its memberships and mappings. */
  delete(id: string): boolean {
    return this.sql.prepare('DELETE FROM directory_groups WHERE id = ? AND tenant_id = ?').run(id, this.tenantId).changes === 1;
  }

  find(id: string): GroupRecord | undefined {
    return this.sql
      .prepare<[string, string], GroupRecord>('SELECT * FROM directory_groups WHERE id = ? AND tenant_id = ?')
      .get(id, this.tenantId);
  }

  findByDisplayName(directoryId: string, displayName: string): GroupRecord | undefined {
    return this.sql
      .prepare<[string, string, string], GroupRecord>(
        'SELECT * FROM directory_groups WHERE tenant_id = ? AND directory_id = ? AND display_name = ?',
      )
      .get(this.tenantId, directoryId, displayName);
  }

  list(q: ResourceQuery): GroupRecord[] {
    const { clause, params } = this.#where(q);
    const order = q.orderBy ? `${q.orderBy.sql} ${q.orderBy.descending ? 'DESC' : 'ASC'}, g.id` : 'g.id';
    return this.sql
      .prepare<unknown[], GroupRecord>(`SELECT g.* FROM directory_groups g WHERE ${clause} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...params, q.limit, q.offset);
  }

  count(q: Pick<ResourceQuery, 'directoryId' | 'where'>): number {
    const { clause, params } = this.#where(q);
    return this.sql.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM directory_groups g WHERE ${clause}`).get(...params)?.n ?? 0;
  }

  #where(q: Pick<ResourceQuery, 'directoryId' | 'where'>): { clause: string; params: unknown[] } {
    const base = 'g.tenant_id = ? AND g.directory_id = ?';
    if (!q.where) return { clause: base, params: [this.tenantId, q.directoryId] };
    return { clause: `${base} AND (${q.where.sql})`, params: [this.tenantId, q.directoryId, ...q.where.params] };
  }

  members(groupId: string): GroupMember[] {
    return this.sql
      .prepare<[string, string], GroupMember>(
        `SELECT m.user_id, u.display_name AS display FROM directory_memberships m
         JOIN directory_users u ON u.id = m.user_id AND u.deleted_at IS NULL
         WHERE m.group_id = ? AND m.tenant_id = ? ORDER BY m.user_id`,
      )
      .all(groupId, this.tenantId);
  }

  /** Inserts the memberships that do not exist yet; returns the user ids actually added. */
  addMembers(groupId: string, userIds: Iterable<string>, at: string): string[] {
    const stmt = this.sql.prepare(
      'INSERT INTO directory_memberships (group_id, user_id, tenant_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    return [...userIds].filter((u) => stmt.run(groupId, u, this.tenantId, at).changes === 1);
  }

  /** Deletes the given memberships; returns the user ids actually removed. */
  removeMembers(groupId: string, userIds: Iterable<string>): string[] {
    const stmt = this.sql.prepare('DELETE FROM directory_memberships WHERE group_id = ? AND user_id = ? AND tenant_id = ?');
    return [...userIds].filter((u) => stmt.run(groupId, u, this.tenantId).changes === 1);
  }

  /** Which of `userIds` are members of the group. */
  membersAmong(groupId: string, userIds: Iterable<string>): Set<string> {
    const stmt = this.sql.prepare<[string, string, string], { n: number }>(
      'SELECT 1 AS n FROM directory_memberships WHERE group_id = ? AND user_id = ? AND tenant_id = ?',
    );
    return new Set([...userIds].filter((u) => stmt.get(groupId, u, this.tenantId) !== undefined));
  }

  groupsOfUser(userId: string): DirectoryGroupRef[] {
    return this.sql
      .prepare<[string, string], DirectoryGroupRef>(
        `SELECT g.id, g.display_name, g.external_id FROM directory_memberships m CROSS JOIN directory_groups g ON g.id = m.group_id
         WHERE m.user_id = ? AND g.tenant_id = ? ORDER BY g.id`,
      )
      .all(userId, this.tenantId);
  }

  /**
   * The groups of several users at once (for a page of SCIM users). CROSS JOIN keeps the
   * memberships-by-user index as the outer loop (it covers the lookup); the tenant is checked on
   * the group, which carries it.
   */
  groupsOfUsers(userIds: readonly string[]): Map<string, DirectoryGroupRef[]> {
    const out = new Map<string, DirectoryGroupRef[]>();
    if (userIds.length === 0) return out;
    const rows = this.sql
      .prepare<unknown[], DirectoryGroupRef & { user_id: string }>(
        `SELECT m.user_id, g.id, g.display_name, g.external_id FROM directory_memberships m CROSS JOIN directory_groups g ON g.id = m.group_id
         WHERE g.tenant_id = ? AND m.user_id IN (${userIds.map(() => '?').join(', ')}) ORDER BY g.id`,
      )
      .all(this.tenantId, ...userIds);
    for (const r of rows) {
      const ref = { id: r.id, display_name: r.display_name, external_id: r.external_id };
      const list = out.get(r.user_id);
      if (list) list.push(ref);
      else out.set(r.user_id, [ref]);
    }
    return out;
  }

  insertMapping(m: Omit<GroupRoleMapping, 'tenant_id'>): void {
    this.sql
      .prepare(
        `INSERT INTO directory_group_role_mappings (id, tenant_id, group_id, relation, created_at, created_by)
         VALUES (@id, @tenant_id, @group_id, @relation, @created_at, @created_by)`,
      )
      .run({ ...m, tenant_id: this.tenantId });
  }

  findMapping(id: string): GroupRoleMapping | undefined {
    return this.sql
      .prepare<[string, string], GroupRoleMapping>('SELECT * FROM directory_group_role_mappings WHERE id = ? AND tenant_id = ?')
      .get(id, this.tenantId);
  }

  findMappingFor(groupId: string, relation: string): GroupRoleMapping | undefined {
    return this.sql
      .prepare<[string, string, string], GroupRoleMapping>(
        'SELECT * FROM directory_group_role_mappings WHERE group_id = ? AND relation = ? AND tenant_id = ?',
      )
      .get(groupId, relation, this.tenantId);
  }

  mappingsOfGroup(groupId: string): GroupRoleMapping[] {
    return this.sql
      .prepare<[string, string], GroupRoleMapping>('SELECT * FROM directory_group_role_mappings WHERE group_id = ? AND tenant_id = ? ORDER BY id')
      .all(groupId, this.tenantId);
  }

  listMappings(afterId: string | undefined, limit: number): GroupRoleMapping[] {
    return this.sql
      .prepare<[string, string, number], GroupRoleMapping>(
        'SELECT * FROM directory_group_role_mappings WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?',
      )
      .all(this.tenantId, afterId ?? '', limit);
  }

  deleteMapping(id: string): boolean {
    return this.sql.prepare('DELETE FROM directory_group_role_mappings WHERE id = ? AND tenant_id = ?').run(id, this.tenantId).changes === 1;
  }
}
