import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TupleKey } from '@openfga/sdk';
import { systemActor } from '../../audit/events.ts';
import { loadConfig } from '../../config/load.ts';
import { FakeClock } from '../../lib/clock.ts';
import { buildServices, type Services } from '../../services.ts';
import { LogCapture, tempDir } from '../../../test/helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../../test/helpers/openfga-server.ts';
import { HoldingRelay } from '../../../test/helpers/tcp-relay.ts';

const bin = requireOpenFgaBinary();

/**
 * A process that shuts down (`services.close()`) while it drains a store's queue of tuple work
 * gives the store's lease up once the change it is sending is done, instead of leaving it to
 * lapse: another process over the same data directory goes on with the rest of the queue at once,
 * not 30 s later. The fake clock never moves here, so a lease left behind would never lapse.
 */
describe.skipIf(!bin)(`a process stopped while draining tuple work gives its lease up (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  const relayA = new HoldingRelay();
  const relayB = new HoldingRelay();
  const clock = new FakeClock('2026-06-01T12:00:00.000Z');
  let dir: string;
  let a: Services;
  let b: Services;
  let store: string;
  let org: string;

  let logsA: LogCapture;
  const services = (url: string, shutdownTimeoutMs = 10_000, logs = new LogCapture()) =>
    buildServices(loadConfig({}, { dataDir: dir, logLevel: 'info', authz: 'openfga', openfgaUrl: url, shutdownTimeoutMs }), { clock, logDestination: logs });
  const processA = (shutdownTimeoutMs?: number) => services(relayA.url, shutdownTimeoutMs, (logsA = new LogCapture()));

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    await relayA.start(new URL(server.url));
    await relayB.start(new URL(server.url));
  }, 60_000);
  beforeEach(async () => {
    dir = tempDir();
    b = services(relayB.url);
    const tenant = await b.tenants.create({ name: 'Shutdown' }, systemActor());
    store = tenant.authz_store_id;
    org = `organization:${tenant.id}`;
  });
  afterEach(async () => {
    for (const r of [relayA, relayB]) r.release();
    await b?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await relayA.close();
    await relayB.close();
    await server?.stop();
  });

  const has = async (t: TupleKey) => (await b.authz.check(store, { tuple_key: t })).allowed;
  const queued = () => (b.storage.sql.raw.prepare('SELECT count(*) AS n FROM authz_pending_tuple_work WHERE store_id = ?').get(store) as { n: number }).n;
  const leases = () => b.storage.sql.raw.prepare('SELECT store_id FROM authz_pending_tuple_drains').all();
  const stage = (s: Services, change: { writes?: TupleKey[]; deletes?: TupleKey[] }) => s.storage.transaction(() => s.authzWriter.stage(store, change));
  /** Process A starts draining the store; what it sends first is held on the way to the server. */
  const drainingA = async () => {
    relayA.holdWhen = store;
    const drain = a.authzWriter.finishPending(store);
    const outcome = drain.then(
      () => 'done',
      (err: { code?: string }) => err.code,
    );
    for (let i = 0; i < 200 && relayA.held === 0; i++) await sleep(25);
    expect(relayA.held).toBeGreaterThan(0);
    return { outcome };
  };

  it('finishes the change it is sending, takes no more, and releases the lease: another process drains the rest at once', async () => {
    a = processA();
    const first = { user: 'user:first', relation: 'member', object: org };
    const second = { user: 'user:second', relation: 'member', object: org };
    stage(a, { writes: [first] });
    stage(a, { writes: [second] });
    const { outcome } = await drainingA();

    const closing = a.close();
    await sleep(100);
    relayA.release();
    await closing;
    expect(await outcome).toBe('unavailable');
    expect([queued(), leases()]).toEqual([1, []]);
    expect(await has(first)).toBe(true);

    await b.authzWriter.finishPending(store);
    expect([queued(), await has(second)]).toEqual([0, true]);
  });

  it('a drain waiting for another process\' lease stops at once; the closing process holds no lease', async () => {
    a = processA();
    const t = { user: 'user:waiting', relation: 'member', object: org };
    stage(b, { writes: [t] });
    relayB.holdWhen = store;
    const drainB = b.authzWriter.finishPending(store);
    for (let i = 0; i < 200 && relayB.held === 0; i++) await sleep(25);
    const waitingA = a.authzWriter.finishPending(store).then(
      () => 'done',
      (err: { code?: string }) => err.code,
    );
    await sleep(100);
    await a.close();
    expect(await waitingA).toBe('unavailable');
    relayB.release();
    await drainB;
    expect([queued(), leases(), await has(t)]).toEqual([0, [], true]);
  });

  it('keeps the lease when the change in flight outlasts the shutdown timeout (it may still land): it lapses as for a process that died', async () => {
    a = processA(200);
    stage(a, { writes: [{ user: 'user:slow', relation: 'member', object: org }] });
    await drainingA();
    await a.close();
    expect(leases()).toEqual([{ store_id: store }]);
    expect(logsA.lines.filter((l) => l.includes('shutting down with tuple work')).map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ level: 'warn', stores: [store] })]);
  });
});
