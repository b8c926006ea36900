import { foldCase } from '../lib/case-fold.ts';
import type { Sql } from '../storage/database.ts';
import type { ResourceQuery } from './sql-fragment.ts';
import type { UserScope } from './lookup.ts';
import { USER_SCALAR_COLUMNS, type ContactValue, type PostalAddress, type UserFields, type UserRecord } from './user.ts';

type UserRow = Omit<UserRecord, 'active' | 'pushed_by_scim' | 'emails' | 'phone_numbers' | 'addresses'> & { active: number; pushed_by_scim: number; user_name_folded?: string };
interface ContactRow { user_id: string; value: string; type: string | null; display: string | null; is_primary: number | null }
type AddressRow = Omit<PostalAddress, 'primary'> & { user_id: string; is_primary: number | null; position?: number; tenant_id?: string };

const SELECT = 'SELECT u.* FROM directory_users u';

const CONTACT_TABLES = { emails: 'directory_user_emails', phone_numbers: 'directory_user_phone_numbers' } as const;

/**
 * One tenant's users. Every statement carries the tenant id; deleted users are invisible to
 * every read. Multi-valued attributes live in child tables, rewritten whole on update.
 */
export class SqliteDirectoryUsers {
  constructor(
    private readonly sql: Sql,
    readonly tenantId: string,
  ) {}

  /** `pushed_by_scim` defaults to true (a SCIM create). */
  insert(u: Omit<UserRecord, 'tenant_id' | 'pushed_by_scim'> & { pushed_by_scim?: boolean }): void {
    const cols = ['id', 'tenant_id', 'directory_id', ...USER_SCALAR_COLUMNS, 'user_name_folded', 'active', 'pushed_by_scim', 'version', 'created_at', 'updated_at'];
    this.sql
      .prepare(`INSERT INTO directory_users (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`)
      .run({ ...scalars(u), id: u.id, tenant_id: this.tenantId, directory_id: u.directory_id, pushed_by_scim: u.pushed_by_scim === false ? 0 : 1, version: u.version, created_at: u.created_at, updated_at: u.updated_at });
    this.#writeChildren(u.id, u);
  }

  /**
   * Replaces every client-writable field (and optionally the owning directory) if the stored
   * version is still `expectedVersion`; bumps the version and marks the user as written by SCIM.
   * False when the version moved on.
   */
  update(id: string, expectedVersion: number, fields: UserFields, updatedAt: string, directoryId?: string | null): boolean {
    const sets = [...USER_SCALAR_COLUMNS, 'user_name_folded', 'active'].map((c) => `${c} = @${c}`);
    sets.push('pushed_by_scim = 1');
    if (directoryId !== undefined) sets.push('directory_id = @directory_id');
    const result = this.sql
      .prepare(
        `UPDATE directory_users SET ${sets.join(', ')}, version = version + 1, updated_at = @updated_at
         WHERE id = @id AND tenant_id = @tenant_id AND version = @expected AND deleted_at IS NULL`,
      )
      .run({ ...scalars(fields), directory_id: directoryId ?? null, updated_at: updatedAt, id, tenant_id: this.tenantId, expected: expectedVersion });
    if (result.changes !== 1) return false;
    this.#deleteChildren(id);
    this.#writeChildren(id, fields);
    return true;
  }

  /**
   * Bumps the version (the ETag) and `updated_at` (meta.lastModified) of these live users: their
   * representation changed without their row changing (they joined or left a group). `+tenant_id`
   * keeps the planner on the id index (else it walks every user of the tenant by its index).
   */
  touch(ids: readonly string[], at: string): void {
    if (ids.length === 0) return;
    this.sql
      .prepare(
        `UPDATE directory_users SET version = version + 1, updated_at = ?
         WHERE +tenant_id = ? AND deleted_at IS NULL AND id IN (SELECT value FROM json_each(?))`,
      )
      .run(at, this.tenantId, JSON.stringify(ids));
  }

  /** `touch` for every member of the group (it is renamed or deleted: their `groups` change). */
  touchMembersOf(groupId: string, at: string): void {
    this.sql
      .prepare(
        `UPDATE directory_users SET version = version + 1, updated_at = ?
         WHERE +tenant_id = ? AND deleted_at IS NULL AND id IN (SELECT user_id FROM directory_memberships WHERE group_id = ? AND tenant_id = ?)`,
      )
      .run(at, this.tenantId, groupId, this.tenantId);
  }

  /** Marks the user deleted and drops its contact data. False when already gone. */
  softDelete(id: string, at: string): boolean {
    const result = this.sql
      .prepare(
        `UPDATE directory_users SET deleted_at = ?, active = 0, version = version + 1, updated_at = ?
         WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL`,
      )
      .run(at, at, id, this.tenantId);
    if (result.changes === 1) this.#deleteChildren(id);
    return result.changes === 1;
  }

  /** The directory of a user that was deleted (undefined for a live or unknown one). */
  deletedUserDirectory(id: string): string | null | undefined {
    const row = this.sql
      .prepare<[string, string], { directory_id: string | null }>('SELECT directory_id FROM directory_users WHERE id = ? AND tenant_id = ? AND deleted_at IS NOT NULL')
      .get(id, this.tenantId);
    return row ? row.directory_id : undefined;
  }

  find(id: string): UserRecord | undefined {
    return this.#one(`${SELECT} WHERE u.id = ? AND u.tenant_id = ? AND u.deleted_at IS NULL`, id, this.tenantId);
  }

  /**
   * The live user with this userName in any letter case (all of Unicode, see foldCase); of two
   * stored before such duplicates were refused, the exact spelling wins, then the oldest id.
   */
  findByUserName(userName: string): UserRecord | undefined {
    return this.#one(
      `${SELECT} WHERE u.user_name_folded = ? AND u.tenant_id = ? AND u.deleted_at IS NULL ORDER BY u.user_name = ? COLLATE BINARY DESC, u.id LIMIT 1`,
      foldCase(userName),
      this.tenantId,
      userName,
    );
  }

  findByExternalId(externalId: string, scope?: UserScope): UserRecord | undefined {
    const within = scopeClause(scope);
    return this.#one(
      `${SELECT} WHERE u.external_id = ? AND u.tenant_id = ? AND u.deleted_at IS NULL${within.sql} ORDER BY u.id LIMIT 1`,
      externalId,
      this.tenantId,
      ...within.params,
    );
  }

  /**
   * By any of the user's emails, case-insensitively. A user whose own address it is (their
   * primary email, else their first: what `primaryEmail` reports) wins over one who only lists it
   * besides (an alias on a colleague's account), whatever `primary` flags the SCIM client sent;
   * then the oldest user.
   */
  findByEmail(email: string, scope?: UserScope): UserRecord | undefined {
    const within = scopeClause(scope);
    const row = this.sql
      .prepare<unknown[], { user_id: string }>(
        `SELECT e.user_id FROM directory_user_emails e JOIN directory_users u ON u.id = e.user_id AND u.deleted_at IS NULL
         WHERE e.tenant_id = ? AND e.value_folded = ?${within.sql}
         ORDER BY CASE WHEN e.is_primary = 1 THEN 1
           WHEN NOT EXISTS (SELECT 1 FROM directory_user_emails p WHERE p.user_id = e.user_id AND p.is_primary = 1 AND p.value != '')
             AND e.position = (SELECT min(f.position) FROM directory_user_emails f WHERE f.user_id = e.user_id AND f.value != '') THEN 1
           ELSE 0 END DESC, u.id LIMIT 1`,
      )
      .get(this.tenantId, foldCase(email), ...within.params);
    return row ? this.find(row.user_id) : undefined;
  }

  /** Of the given ids, those that are live users of `directoryId`, with whether each is active. */
  existingInDirectory(directoryId: string, ids: Iterable<string>): Map<string, boolean> {
    const found = new Map<string, boolean>();
    const stmt = this.sql.prepare<[string, string, string], { id: string; active: number }>(
      'SELECT id, active FROM directory_users WHERE id = ? AND tenant_id = ? AND directory_id = ? AND deleted_at IS NULL',
    );
    for (const id of new Set(ids)) {
      const row = stmt.get(id, this.tenantId, directoryId);
      if (row) found.set(id, row.active === 1);
    }
    return found;
  }

  list(q: ResourceQuery): UserRecord[] {
    const { clause, params } = this.#where(q);
    const order = q.orderBy ? `${q.orderBy.sql} ${q.orderBy.descending ? 'DESC' : 'ASC'}, u.id` : 'u.id';
    const rows = this.sql
      .prepare<unknown[], UserRow>(`${SELECT} WHERE ${clause} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...params, q.limit, q.offset);
    return this.#hydrate(rows);
  }

  count(q: Pick<ResourceQuery, 'directoryId' | 'where'>): number {
    const { clause, params } = this.#where(q);
    // Without a filter, count the narrowest index: counting walks every entry of the one it reads.
    const from = q.where ? 'directory_users u' : 'directory_users u INDEXED BY directory_users_live';
    return this.sql.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM ${from} WHERE ${clause}`).get(...params)?.n ?? 0;
  }

  #where(q: Pick<ResourceQuery, 'directoryId' | 'where'>): { clause: string; params: unknown[] } {
    const base = 'u.tenant_id = ? AND u.directory_id = ? AND u.deleted_at IS NULL';
    if (!q.where) return { clause: base, params: [this.tenantId, q.directoryId] };
    return { clause: `${base} AND (${q.where.sql})`, params: [this.tenantId, q.directoryId, ...q.where.params] };
  }

  #one(sql: string, ...params: unknown[]): UserRecord | undefined {
    const row = this.sql.prepare<unknown[], UserRow>(sql).get(...params);
    return row ? this.#hydrate([row])[0] : undefined;
  }

  #hydrate(rows: UserRow[]): UserRecord[] {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const marks = ids.map(() => '?').join(', ');
    const contacts = (table: string) =>
      group(
        this.sql
          .prepare<unknown[], ContactRow>(`SELECT * FROM ${table} WHERE user_id IN (${marks}) ORDER BY user_id, position`)
          .all(...ids),
        (r): ContactValue => ({ value: r.value, type: r.type, display: r.display, primary: flag(r.is_primary) }),
      );
    const emails = contacts(CONTACT_TABLES.emails);
    const phones = contacts(CONTACT_TABLES.phone_numbers);
    const addresses = group(
      this.sql
        .prepare<unknown[], AddressRow>(`SELECT * FROM directory_user_addresses WHERE user_id IN (${marks}) ORDER BY user_id, position`)
        .all(...ids),
      ({ user_id: _, is_primary, ...a }): PostalAddress => ({ ...stripPosition(a), primary: flag(is_primary) }),
    );
    return rows.map(({ user_name_folded: _, ...r }) => ({
      ...r,
      active: r.active === 1,
      pushed_by_scim: r.pushed_by_scim === 1,
      emails: emails.get(r.id) ?? [],
      phone_numbers: phones.get(r.id) ?? [],
      addresses: addresses.get(r.id) ?? [],
    }));
  }

  #deleteChildren(id: string): void {
    for (const table of [CONTACT_TABLES.emails, CONTACT_TABLES.phone_numbers, 'directory_user_addresses']) {
      this.sql.prepare(`DELETE FROM ${table} WHERE user_id = ?`).run(id);
    }
  }

  #writeChildren(id: string, u: Pick<UserFields, 'emails' | 'phone_numbers' | 'addresses'>): void {
    const email = this.sql.prepare(
      `INSERT INTO ${CONTACT_TABLES.emails} (user_id, position, tenant_id, value, value_folded, type, display, is_primary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    u.emails.forEach((c, i) => email.run(id, i, this.tenantId, c.value, foldCase(c.value), c.type, c.display, bit(c.primary)));
    const phone = this.sql.prepare(
      `INSERT INTO ${CONTACT_TABLES.phone_numbers} (user_id, position, tenant_id, value, type, display, is_primary) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    u.phone_numbers.forEach((c, i) => phone.run(id, i, this.tenantId, c.value, c.type, c.display, bit(c.primary)));
    const addr = this.sql.prepare(
      `INSERT INTO directory_user_addresses (user_id, position, tenant_id, type, formatted, street_address, locality, region, postal_code, country, is_primary)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    u.addresses.forEach((a, i) =>
      addr.run(id, i, this.tenantId, a.type, a.formatted, a.street_address, a.locality, a.region, a.postal_code, a.country, bit(a.primary)),
    );
  }
}

/** A lookup's scope as SQL on `u` (one statement text per kind: the excluded ids go in as one JSON array). */
function scopeClause(scope: UserScope | undefined): { sql: string; params: string[] } {
  if (!scope) return { sql: '', params: [] };
  if ('directoryId' in scope) return { sql: ' AND u.directory_id = ?', params: [scope.directoryId] };
  if ('inDirectories' in scope) return { sql: ' AND u.directory_id IN (SELECT value FROM json_each(?))', params: [JSON.stringify(scope.inDirectories)] };
  return { sql: ' AND (u.directory_id IS NULL OR u.directory_id NOT IN (SELECT value FROM json_each(?)))', params: [JSON.stringify(scope.exceptDirectories)] };
}

const flag = (v: number | null) => (v === null ? null : v === 1);
const bit = (v: boolean | null) => (v === null ? null : v ? 1 : 0);

function scalars(u: UserFields): Record<string, unknown> {
  const out: Record<string, unknown> = { active: u.active ? 1 : 0, user_name_folded: foldCase(u.user_name) };
  for (const c of USER_SCALAR_COLUMNS) out[c] = u[c];
  return out;
}

function stripPosition<T extends { position?: unknown; tenant_id?: unknown }>(row: T): Omit<T, 'position' | 'tenant_id'> {
  const { position: _p, tenant_id: _t, ...rest } = row;
  return rest;
}

function group<R extends { user_id: string }, T>(rows: R[], map: (r: R) => T): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const list = out.get(r.user_id) ?? [];
    list.push(map(r));
    out.set(r.user_id, list);
  }
  return out;
}
