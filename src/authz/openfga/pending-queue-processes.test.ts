import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TupleKey } from '@openfga/sdk';
import { loadConfig } from '../../config/load.ts';
import { buildServices, type Services } from '../../services.ts';
import { Harness } from '../../../test/helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../../test/helpers/openfga-server.ts';
import { HoldingRelay } from '../../../test/helpers/tcp-relay.ts';

const bin = requireOpenFgaBinary();

/**
 * Two Portcullis processes over one data directory (a rolling restart, two servers on one
 * machine) share one queue of tuple work per store. Its order must hold across them: a write a
 * slow process sent must not land after the delete that was queued behind it.
 */
describe.skipIf(!bin)(`tuple work queued for OpenFGA, drained by two processes over one data directory (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  const relayA = new HoldingRelay();
  const relayB = new HoldingRelay();
  let h: Harness;
  let b: Services;
  let store: string;
  let org: string;

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    await relayA.start(new URL(server.url));
    await relayB.start(new URL(server.url));
    h = new Harness({ authz: 'openfga', openfgaUrl: relayA.url });
    b = buildServices(loadConfig({}, { dataDir: h.dir, logLevel: 'silent', authz: 'openfga', openfgaUrl: relayB.url }), { clock: h.clock });
    const tenant = await h.createTenant('Two processes');
    store = tenant.authz_store_id;
    org = `organization:${tenant.id}`;
  }, 60_000);
  afterEach(() => {
    for (const r of [relayA, relayB]) r.release();
  });
  afterAll(async () => {
    await b?.close();
    await h?.close();
    await relayA.close();
    await relayB.close();
    await server?.stop();
  });

  const a = () => h.services;
  const has = async (t: TupleKey) => (await a().authz.check(store, { tuple_key: t })).allowed;
  const queued = () => (a().storage.sql.raw.prepare('SELECT count(*) AS n FROM authz_pending_tuple_work WHERE store_id = ?').get(store) as { n: number }).n;

  it('a write another process sent slowly does not land after the delete queued behind it', async () => {
    const t = { user: 'user:slow', relation: 'admin', object: org };
    a().storage.transaction(() => a().authzWriter.stage(store, { writes: [t] }));
    a().storage.transaction(() => a().authzWriter.stage(store, { deletes: [t] }));

    // Process B starts on the write; its request is slow to reach the server.
    relayB.holdWhen = store;
    const drainB = b.authzWriter.finishPending(store);
    for (let i = 0; i < 200 && relayB.held === 0; i++) await sleep(25);
    expect(relayB.held).toBeGreaterThan(0);

    // Process A drains the same store meanwhile (a SCIM request, its housekeeping).
    const drainA = a().authzWriter.finishPending(store);
    for (let i = 0; i < 40 && queued() > 0; i++) await sleep(25);
    relayB.release();
    await Promise.all([drainA, drainB]);

    expect(queued()).toBe(0);
    expect(await has(t)).toBe(false);
  });

  it('a flush whose work the other process applied gets its count, or its refusal, from that process; unclaimed outcomes are purged', async () => {
    const outcomes = () => (a().storage.sql.raw.prepare('SELECT count(*) AS n FROM authz_pending_tuple_outcomes').get() as { n: number }).n;
    const t = { user: 'user:counted', relation: 'admin', object: org };
    // Outcomes of work this process applied itself are not kept (those the last test left are nobody's: its flushes were never awaited).
    const before = outcomes();
    await a().storage.transaction(() => a().authzWriter.stage(store, { writes: [t, { ...t, relation: 'member' }] })).flush();
    expect(outcomes()).toBe(before);

    b.storage.transaction(() => b.authzWriter.stage(store, { writes: [{ user: 'user:first', relation: 'member', object: org }] }));
    relayB.holdWhen = store;
    const drainB = b.authzWriter.finishPending(store);
    for (let i = 0; i < 200 && relayB.held === 0; i++) await sleep(25);
    const deleted = a().storage.transaction(() => a().authzWriter.stageDeleteTuplesForUser(store, 'user:counted')).flush();
    const refused = a().storage.transaction(() => a().authzWriter.stage(store, { writes: [{ ...t, relation: 'no_such_relation' }] })).flush();
    const refusal = refused.catch((err: unknown) => err);
    for (let i = 0; i < 10; i++) await sleep(25);
    expect(queued()).toBe(3);
    relayB.release();
    await drainB;

    expect(await deleted).toBe(2);
    expect(await refusal).toMatchObject({ status: 400 });
    expect([queued(), outcomes()]).toEqual([0, before]);
    // Nobody's outcomes go with the housekeeping after 10 minutes.
    expect(before).toBeGreaterThan(0);
    h.clock.advance(10 * 60_000 + 1);
    await a().authzWriter.finishAllPending();
    expect(outcomes()).toBe(0);
  });

  it('takes over the store from a process that died while draining it, once its lease has lapsed', async () => {
    const t = { user: 'user:orphan', relation: 'admin', object: org };
    a().storage.transaction(() => a().authzWriter.stage(store, { writes: [t] }));
    const expires = new Date(h.clock.now().getTime() + 30_000).toISOString();
    a().storage.sql.raw.prepare(`INSERT INTO authz_pending_tuple_drains (store_id, owner, expires_at) VALUES (?, 'a-process-that-died', ?)`).run(store, expires);
    let done = false;
    const drain = a().authzWriter.finishPending(store).finally(() => (done = true));
    for (let i = 0; i < 10; i++) await sleep(25);
    expect([done, queued()]).toEqual([false, 1]);
    h.clock.advance(30_000);
    await drain;
    expect([queued(), await has(t)]).toEqual([0, true]);
  });
});
