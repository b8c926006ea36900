import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemActor, type Actor } from '../../audit/events.ts';
import { openDatabase, Sql } from '../../storage/database.ts';
import { migrate } from '../../storage/migrate.ts';
import { tempDir } from '../../../test/helpers/harness.ts';
import { SqliteDrainLeases } from './drain-lease.ts';
import { SqlitePendingTupleWork } from './pending-store.ts';

const AT = '2026-06-01T12:00:00.000Z';
const scim: Actor = { type: 'scim_token', id: null, credential_id: 'scim_1', ip: '10.0.0.1', user_agent: 'Okta SCIM', request_id: 'req_1' };
const member = { user: 'user:u1', relation: 'member', object: 'group:g1' };

describe('the queue of tuple work for a remote OpenFGA server (SQLite file)', () => {
  let dir: string;
  const opened: Sql[] = [];
  const open = () => {
    const sql = new Sql(openDatabase(join(dir, 'portcullis.db')));
    migrate(sql.raw);
    opened.push(sql);
    return { sql, rows: new SqlitePendingTupleWork(sql) };
  };
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands each store its work oldest first, as it was queued, with who caused it', () => {
    dir = tempDir();
    const { rows } = open();
    const a1 = rows.add('store-a', { kind: 'change', writes: [], deletes: [member] }, scim, AT);
    const b1 = rows.add('store-b', { kind: 'delete_for_object', object: 'group:g9' }, systemActor(), AT);
    const a2 = rows.add('store-a', { kind: 'change', writes: [member], deletes: [] }, scim, AT);
    rows.add('store-a', { kind: 'delete_for_user', user: 'user:u1' }, scim, AT);
    expect(a1 < b1 && b1 < a2).toBe(true);
    expect(rows.next('store-a')).toEqual({
      seq: a1,
      storeId: 'store-a',
      work: { kind: 'change', writes: [], deletes: [member] },
      actor: scim,
      queuedBy: null,
      createdAt: AT,
      attempts: 0,
      lastErrorCode: null,
    });
    expect(rows.stores()).toEqual(['store-a', 'store-b']);
    expect(rows.remove(a1)).toBe(true);
    expect(rows.remove(a1)).toBe(false);
    expect(rows.next('store-a')?.work).toEqual({ kind: 'change', writes: [member], deletes: [] });
    expect(rows.remove(a2)).toBe(true);
    expect(rows.next('store-a')?.work).toEqual({ kind: 'delete_for_user', user: 'user:u1' });
    expect(rows.next('store-b')?.work).toEqual({ kind: 'delete_for_object', object: 'group:g9' });
    expect([rows.hasAny('store-a'), rows.hasAny('store-c'), rows.count()]).toEqual([true, false, 2]);
  });

  it('records failed attempts with the server error code, and keeps the work in place', () => {
    dir = tempDir();
    const { rows } = open();
    const seq = rows.add('s', { kind: 'delete_for_user', user: 'user:u1' }, scim, AT);
    rows.recordFailure(seq, 'unavailable', AT);
    rows.recordFailure(seq, 'unavailable', AT);
    expect(rows.next('s')).toMatchObject({ seq, attempts: 2, lastErrorCode: 'unavailable' });
    expect(rows.has(seq)).toBe(true);
  });

  it('commits and rolls back with the transaction that queued it', () => {
    dir = tempDir();
    const { sql, rows } = open();
    expect(() =>
      sql.transaction(() => {
        rows.add('s', { kind: 'change', writes: [member], deletes: [] }, scim, AT);
        throw new Error('the directory change failed');
      }),
    ).toThrow('the directory change failed');
    expect(rows.count()).toBe(0);
    sql.transaction(() => rows.add('s', { kind: 'change', writes: [member], deletes: [] }, scim, AT));
    expect(rows.count()).toBe(1);
  });

  it('keeps its work and its order across a reopen of the file, and never reuses a sequence number', () => {
    dir = tempDir();
    const first = open();
    const done = first.rows.add('s', { kind: 'change', writes: [member], deletes: [] }, scim, AT);
    const waiting = first.rows.add('s', { kind: 'delete_for_user', user: 'user:u1' }, scim, AT);
    first.rows.remove(done);
    first.sql.close();
    const second = open();
    expect(second.rows.next('s')).toMatchObject({ seq: waiting, work: { kind: 'delete_for_user', user: 'user:u1' }, actor: scim });
    second.rows.remove(waiting);
    expect(second.rows.add('s', { kind: 'change', writes: [member], deletes: [] }, scim, AT)).toBeGreaterThan(waiting);
  });

  it('lets one process at a time drain a store: its lease is renewed by its holder, refused to another until it lapses, and freed on release', () => {
    dir = tempDir();
    const { sql } = open();
    const other = open();
    const leases = new SqliteDrainLeases(sql);
    const elsewhere = new SqliteDrainLeases(other.sql);
    const t = (s: number) => new Date(Date.parse(AT) + s * 1000).toISOString();
    expect(leases.take('s', 'a', t(0), t(30))).toBe(true);
    expect(elsewhere.take('s', 'b', t(1), t(31))).toBe(false);
    expect(elsewhere.take('other-store', 'b', t(1), t(31))).toBe(true);
    expect(leases.take('s', 'a', t(20), t(50))).toBe(true);
    expect(elsewhere.take('s', 'b', t(40), t(70))).toBe(false);
    expect(elsewhere.take('s', 'b', t(50), t(80))).toBe(true);
    expect(leases.take('s', 'a', t(51), t(81))).toBe(false);
    leases.release('s', 'a');
    expect(leases.take('s', 'a', t(52), t(82))).toBe(false);
    elsewhere.release('s', 'b');
    expect(leases.take('s', 'a', t(53), t(83))).toBe(true);
  });

  it('releases every lease of a process but those it names, and none of another process\'', () => {
    dir = tempDir();
    const { sql } = open();
    const leases = new SqliteDrainLeases(sql);
    const until = '2026-06-01T12:00:30.000Z';
    for (const store of ['s1', 's2', 's3']) expect(leases.take(store, 'a', AT, until)).toBe(true);
    expect(leases.take('s4', 'b', AT, until)).toBe(true);
    leases.releaseAll('a', ['s2']);
    expect(sql.raw.prepare('SELECT store_id, owner FROM authz_pending_tuple_drains ORDER BY store_id').all()).toEqual([
      { store_id: 's2', owner: 'a' },
      { store_id: 's4', owner: 'b' },
    ]);
  });

  it('keeps what became of work applied for another process until that process reads it once, or it is purged', () => {
    dir = tempDir();
    const { sql, rows } = open();
    const other = open();
    const applied = rows.add('s', { kind: 'delete_for_user', user: 'user:u1' }, scim, AT, 'process-a');
    const refused = rows.add('s', { kind: 'change', writes: [member], deletes: [] }, scim, AT, 'process-a');
    const forgotten = rows.add('s', { kind: 'change', writes: [member], deletes: [] }, scim, AT, 'process-gone');
    expect(rows.next('s')).toMatchObject({ seq: applied, queuedBy: 'process-a' });
    const later = '2026-06-01T12:20:00.000Z';
    other.sql.transaction(() => {
      other.rows.recordOutcome(applied, { applied: 3 }, later);
      other.rows.recordOutcome(refused, { error: { status: 400, code: 'validation_error', message: 'relation not found' } }, later);
      other.rows.recordOutcome(forgotten, { applied: 1 }, AT);
    });
    expect(sql.transaction(() => rows.purgeOutcomes('2026-06-01T12:10:00.000Z'))).toBe(1);
    expect(sql.transaction(() => rows.takeOutcome(applied))).toEqual({ applied: 3 });
    expect(sql.transaction(() => rows.takeOutcome(applied))).toBeUndefined();
    expect(sql.transaction(() => rows.takeOutcome(refused))).toEqual({ error: { status: 400, code: 'validation_error', message: 'relation not found' } });
    expect(sql.transaction(() => rows.takeOutcome(forgotten))).toBeUndefined();
  });

  it('refuses a kind it does not know', () => {
    dir = tempDir();
    const { sql } = open();
    expect(() => sql.raw.prepare(`INSERT INTO authz_pending_tuple_work (store_id, kind, work_json, actor_json, created_at) VALUES ('s', 'write', '{}', '{}', 'x')`).run()).toThrow(/CHECK/);
  });
});
