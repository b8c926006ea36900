import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../../test/helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../../test/helpers/openfga-server.ts';
import { HoldingRelay } from '../../../test/helpers/tcp-relay.ts';
import { runMaintenance } from '../../maintenance.ts';

const bin = requireOpenFgaBinary();

/** A deleted tenant's store on a real OpenFGA server, behind a relay that can cut it off. */
describe.skipIf(!bin)(`purging a deleted tenant's store on the OpenFGA server (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  const relay = new HoldingRelay();
  let h: Harness;

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    await relay.start(new URL(server.url));
    h = new Harness({ authz: 'openfga', openfgaUrl: relay.url });
  }, 60_000);
  afterEach(() => {
    relay.mode = 'pass';
  });
  afterAll(async () => {
    await h?.close();
    await relay.close();
    await server?.stop();
  });

  const onServer = async (storeId: string) => (await fetch(`${server.url}/stores/${storeId}`)).status;
  const tuplesOnServer = async (storeId: string) =>
    ((await (await fetch(`${server.url}/stores/${storeId}/read`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { tuples?: unknown[] }).tuples?.length;
  const queued = (storeId: string) =>
    (h.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM authz_pending_tuple_work WHERE store_id = ?').get(storeId) as { n: number }).n;
  const purged = (tenantId: string) =>
    (h.services.storage.sql.raw.prepare(`SELECT metadata_json FROM audit_events WHERE chain = ? AND action = 'authz.store.purged'`).all(tenantId) as { metadata_json: string }[]).map(
      (e) => JSON.parse(e.metadata_json),
    );

  it('deletes the store on the server at the next housekeeping pass, drops its queued work, and leaves another tenant\'s store alone', async () => {
    const gone = await h.createTenant('Gone FGA');
    const kept = await h.createTenant('Kept FGA');
    const t = { user: 'user:a', relation: 'member', object: 'group:g' };
    await h.services.authz.write(gone.authz_store_id, { writes: { tuple_keys: [t] } });
    await h.services.authz.write(kept.authz_store_id, { writes: { tuple_keys: [t] } });
    relay.cut();
    // Work the server could not take: queued for the store.
    await h.services.storage.transaction(() => h.services.authzWriter.stage(gone.authz_store_id, { writes: [{ ...t, user: 'user:b' }] })).flush().catch(() => {});
    relay.mode = 'pass';
    expect(queued(gone.authz_store_id)).toBe(1);
    expect((await h.request('DELETE', `/admin/v1/tenants/${gone.id}`)).status).toBe(204);
    expect(queued(gone.authz_store_id)).toBe(0);
    expect(await onServer(gone.authz_store_id)).toBe(200);
    const pass = await runMaintenance(h.services, h.clock);
    expect(pass.authzStorePurges).toMatchObject({ purged: 1, failed: 0, pending: 0 });
    expect(await onServer(gone.authz_store_id)).toBe(404);
    expect(await onServer(kept.authz_store_id)).toBe(200);
    expect(await tuplesOnServer(kept.authz_store_id)).toBe(1);
    expect(purged(gone.id)).toEqual([expect.objectContaining({ backend: 'openfga', server: 'deleted', queued_work_dropped: 1 })]);
    expect((await runMaintenance(h.services, h.clock)).authzStorePurges).toMatchObject({ purged: 0, pending: 0 });
  });

  it('retries a purge on the next pass when the server is down during one, and counts a store the server never had as done', async () => {
    const down = await h.createTenant('Down FGA');
    const absent = await h.createTenant('Absent FGA');
    expect((await h.request('DELETE', `/admin/v1/tenants/${down.id}`)).status).toBe(204);
    // A store the server never had: v1.18.1 answers its DeleteStore 204 (as for one it deleted already); a 404 from another version counts as done too.
    const never = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    h.services.storage.sql.raw.prepare('UPDATE tenants SET authz_store_id = ? WHERE id = ?').run(never, absent.id);
    expect((await h.request('DELETE', `/admin/v1/tenants/${absent.id}`)).status).toBe(204);
    relay.cut();
    const failed = await runMaintenance(h.services, h.clock);
    expect(failed.authzStorePurges).toMatchObject({ purged: 0, failed: 1, pending: 2 });
    expect(await onServer(down.authz_store_id)).toBe(200);
    // The pass stopped at the first store it could not reach (the other would wait out the same timeout).
    expect(h.services.storage.sql.raw.prepare('SELECT attempts, last_error_code FROM authz_store_purges WHERE purged_at IS NULL AND attempts > 0').all()).toEqual([
      { attempts: 1, last_error_code: 'unavailable' },
    ]);
    relay.mode = 'pass';
    const retried = await runMaintenance(h.services, h.clock);
    expect(retried.authzStorePurges).toMatchObject({ purged: 2, failed: 0, pending: 0 });
    expect(await onServer(down.authz_store_id)).toBe(404);
    expect(purged(absent.id)).toEqual([expect.objectContaining({ backend: 'openfga', server: expect.stringMatching(/^(deleted|not_found)$/) })]);
    expect(purged(down.id)).toHaveLength(1);
  });
});
