import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TupleKey } from '@openfga/sdk';
import type { Actor } from '../../audit/events.ts';
import { Harness } from '../../../test/helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../../test/helpers/openfga-server.ts';
import { HoldingRelay } from '../../../test/helpers/tcp-relay.ts';
import { SqlitePendingTupleWork } from './pending-store.ts';

const bin = requireOpenFgaBinary();
const okta: Actor = { type: 'scim_token', id: null, credential_id: 'scim_okta', ip: '10.1.2.3', user_agent: 'Okta SCIM Client', request_id: 'req_queue' };

/** The OpenFGA backend's queue of tuple work, through `services.authzWriter`, on a real server behind a relay that can cut it off. */
describe.skipIf(!bin)(`tuple work queued for a remote OpenFGA server (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  const relay = new HoldingRelay();
  let h: Harness;
  let store: string;
  let org: string;
  let tenantId: string;
  let rows: SqlitePendingTupleWork;

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    await relay.start(new URL(server.url));
    h = new Harness({ authz: 'openfga', openfgaUrl: relay.url });
    const tenant = await h.createTenant('Queue');
    store = tenant.authz_store_id;
    tenantId = tenant.id;
    org = `organization:${tenant.id}`;
    rows = new SqlitePendingTupleWork(h.services.storage.sql);
  }, 60_000);
  afterEach(() => {
    relay.mode = 'pass';
    relay.holdWhen = undefined;
  });
  afterAll(async () => {
    await h?.close();
    await relay.close();
    await server?.stop();
  });

  const s = () => h.services;
  const has = async (t: TupleKey) => (await s().authz.check(store, { tuple_key: t })).allowed;
  const stage = (change: { writes?: TupleKey[]; deletes?: TupleKey[] }, actor?: Actor) => s().storage.transaction(() => s().authzWriter.stage(store, change, actor));
  const metric = async (series: string) => {
    const text = await (await h.request('GET', '/metrics', { key: null })).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };
  const queued = () => s().storage.sql.raw.prepare('SELECT attempts, last_error_code FROM authz_pending_tuple_work WHERE store_id = ? ORDER BY seq').all(store);
  const applied = () => metric('portcullis_authz_pending_tuple_work_attempts_total{outcome="applied"}');

  it('applies a store\'s work oldest first, and audits each change once the server took it, attributed to whoever queued it', async () => {
    const t = { user: 'user:order', relation: 'admin', object: org };
    await stage({ writes: [t] }).flush();
    relay.cut();
    await expect(stage({ deletes: [t] }, okta).flush()).rejects.toMatchObject({ status: 503, code: 'unavailable' });
    relay.mode = 'pass';
    // Written again after the failed removal: the removal is applied first, so the tuple ends up there.
    expect(await stage({ writes: [t] }, okta).flush()).toBe(1);
    expect(await has(t)).toBe(true);
    expect(rows.count()).toBe(0);
    const events = h.services.audit.list(tenantId, {}, undefined, 200).data.filter((e) => e.request_id === okta.request_id).reverse();
    expect(events.map((e) => [e.action, e.actor.credential_id, e.actor.ip])).toEqual([
      ['authz.tuples.deleted', 'scim_okta', '10.1.2.3'],
      ['authz.tuples.written', 'scim_okta', '10.1.2.3'],
    ]);
  });

  it('runs one drain per store at a time: flushes awaited together send each change once, and each gets its own count', async () => {
    const a = { user: 'user:a', relation: 'member', object: org };
    const b = { user: 'user:b', relation: 'member', object: org };
    const before = (await applied()) ?? 0;
    const first = stage({ writes: [a, b] });
    const second = s().storage.transaction(() => s().authzWriter.stageDeleteTuplesForUser(store, 'user:a'));
    const [n1, n2, again] = await Promise.all([second.flush(), first.flush(), first.flush()]);
    expect([n1, n2, again]).toEqual([1, 2, 2]);
    expect(await applied()).toBe(before + 2);
    expect([await has(a), await has(b)]).toEqual([false, true]);
  });

  it('a flush that joins a drain stopped by the server going away fails with it, and its work waits, untried, behind the failed one', async () => {
    const c = { user: 'user:c', relation: 'member', object: org };
    const d = { user: 'user:d', relation: 'member', object: org };
    const heldBefore = relay.held;
    relay.holdWhen = store;
    const first = stage({ writes: [c] }).flush();
    for (let i = 0; i < 200 && relay.held === heldBefore; i++) await sleep(25);
    expect(relay.held).toBeGreaterThan(heldBefore);
    const second = stage({ writes: [d] }).flush();
    relay.cut();
    await expect(first).rejects.toMatchObject({ status: 503, code: 'unavailable' });
    await expect(second).rejects.toMatchObject({ status: 503, code: 'unavailable' });
    expect(queued()).toEqual([
      { attempts: 1, last_error_code: 'unavailable' },
      { attempts: 0, last_error_code: null },
    ]);
    relay.mode = 'pass';
    relay.holdWhen = undefined;
    await s().authzWriter.finishPending(store);
    expect(queued()).toEqual([]);
    expect([await has(c), await has(d)]).toEqual([true, true]);
  });

  it('reports the age of the oldest queued work as a gauge, 0 once the queue is empty', async () => {
    const oldest = 'portcullis_authz_pending_tuple_work_oldest_seconds';
    expect(await metric(oldest)).toBe(0);
    const t = { user: 'user:stuck', relation: 'member', object: org };
    relay.cut();
    await expect(stage({ writes: [t] }).flush()).rejects.toMatchObject({ status: 503 });
    h.clock.advance(90_000);
    await expect(stage({ deletes: [t] }).flush()).rejects.toMatchObject({ status: 503 });
    h.clock.advance(30_500);
    expect(await metric(oldest)).toBe(120.5);
    relay.mode = 'pass';
    await s().authzWriter.finishPending(store);
    expect(await metric(oldest)).toBe(0);
  });

  it('drops work the server refuses as invalid (it would hold the store forever): its flush throws the server error, later work still goes through', async () => {
    const invalid = stage({ writes: [{ user: 'user:e', relation: 'no_such_relation', object: org }] });
    const valid = stage({ writes: [{ user: 'user:e', relation: 'viewer', object: org }] });
    expect(await valid.flush()).toBe(1);
    await expect(invalid.flush()).rejects.toMatchObject({ status: 400 });
    expect(rows.count()).toBe(0);
    expect(await has({ user: 'user:e', relation: 'viewer', object: org })).toBe(true);
    expect(await metric('portcullis_authz_pending_tuple_work_attempts_total{outcome="discarded"}')).toBe(1);
    const logged = h.logs.lines.filter((l) => l.includes('refused queued authorization tuple work')).map((l) => JSON.parse(l));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'warn', store_id: store, kind: 'change', code: expect.any(String) });
    expect(JSON.stringify(logged[0])).not.toContain('user:e');
  });
});
