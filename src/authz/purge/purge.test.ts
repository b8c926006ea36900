import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../../../test/helpers/harness.ts';
import { runMaintenance } from '../../maintenance.ts';
import { buildServices } from '../../services.ts';
import { loadConfig } from '../../config/load.ts';

/** A deleted tenant's store on the embedded engine: its rows go, in bounded batches, driven by the housekeeping. */
describe('purging a deleted tenant\'s embedded authorization store', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  const rows = (table: string, storeId: string) =>
    (h.services.storage.sql.raw.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${table === 'authz_stores' ? 'id' : 'store_id'} = ?`).get(storeId) as { n: number }).n;
  const everything = (storeId: string) => ({
    tuples: rows('authz_tuples', storeId),
    changes: rows('authz_changes', storeId),
    models: rows('authz_models', storeId),
    assertions: rows('authz_assertions', storeId),
    stores: rows('authz_stores', storeId),
  });
  const purgedEvents = (tenantId: string) =>
    h.services.storage.sql.raw
      .prepare(`SELECT actor_type, target_type, target_id, metadata_json FROM audit_events WHERE chain = ? AND action = 'authz.store.purged'`)
      .all(tenantId) as { actor_type: string; target_id: string; metadata_json: string }[];
  const seed = async (storeId: string, n: number) => {
    const keys = Array.from({ length: n }, (_, i) => ({ user: `user:u${i}`, relation: 'member', object: `group:g${i % 7}` }));
    for (let i = 0; i < keys.length; i += 100) await h.services.authz.write(storeId, { writes: { tuple_keys: keys.slice(i, i + 100) } });
    const model = (await h.services.authz.readAuthorizationModel(storeId)).id;
    await h.services.authzAssertions.write(storeId, model, [{ tuple_key: { user: 'user:u1', relation: 'member', object: 'group:g1' }, expectation: true }], () => {});
  };
  const remove = async (tenantId: string) => expect((await h.request('DELETE', `/admin/v1/tenants/${tenantId}`)).status).toBe(204);

  it('deletes a small store\'s rows in the deletion itself, and audits the purge once, on the tenant\'s chain, at the next housekeeping pass', async () => {
    h = new Harness();
    const gone = await h.createTenant('Gone');
    const kept = await h.createTenant('Kept');
    await seed(gone.authz_store_id, 30);
    await seed(kept.authz_store_id, 30);
    const before = everything(kept.authz_store_id);
    await remove(gone.id);
    expect(everything(gone.authz_store_id)).toEqual({ tuples: 0, changes: 0, models: 0, assertions: 0, stores: 0 });
    expect(everything(kept.authz_store_id)).toEqual(before);
    expect(before.tuples).toBe(30);
    // The deletion is one event, the admin's; the purge is the system's, from the housekeeping.
    expect(purgedEvents(gone.id)).toHaveLength(0);
    expect((await runMaintenance(h.services, h.clock)).authzStorePurges).toEqual({ purged: 1, failed: 0, pending: 0, tuplesDeleted: 0 });
    const events = purgedEvents(gone.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_type: 'system', target_id: gone.authz_store_id });
    expect(JSON.parse(events[0]!.metadata_json)).toMatchObject({ backend: 'embedded', tuples_deleted: 30 });
    expect(purgedEvents(kept.id)).toHaveLength(0);
    const pass = await runMaintenance(h.services, h.clock);
    expect(pass.authzStorePurges).toEqual({ purged: 0, failed: 0, pending: 0, tuplesDeleted: 0 });
    expect(purgedEvents(gone.id)).toHaveLength(1);
  });

  it('purges a large store over several housekeeping passes, a bounded batch per transaction, leaving another tenant\'s store untouched', async () => {
    h = new Harness({ authzPurgeBatchSize: 100, authzPurgeBatchesPerPass: 3 });
    const big = await h.createTenant('Big');
    const other = await h.createTenant('Other');
    await seed(big.authz_store_id, 1000);
    await seed(other.authz_store_id, 50);
    const before = everything(other.authz_store_id);
    await remove(big.id);
    // The first batch ran in the deletion; the store answers as missing at once.
    expect(rows('authz_tuples', big.authz_store_id)).toBe(900);
    await expect(h.services.authz.check(big.authz_store_id, { tuple_key: { user: 'user:u1', relation: 'member', object: 'group:g1' } })).rejects.toMatchObject({
      code: 'store_id_not_found',
    });
    const passes: number[] = [];
    for (let i = 0; i < 10 && everything(big.authz_store_id).stores > 0; i++) {
      const pass = await runMaintenance(h.services, h.clock);
      passes.push(pass.authzStorePurges.tuplesDeleted);
      expect(everything(other.authz_store_id)).toEqual(before);
    }
    // 300 rows a pass: 900 tuples, then the changelog (1000 writes), the model, the assertion, the store.
    expect(passes.slice(0, 3)).toEqual([300, 300, 300]);
    expect(passes.length).toBeGreaterThanOrEqual(7);
    expect(everything(big.authz_store_id)).toEqual({ tuples: 0, changes: 0, models: 0, assertions: 0, stores: 0 });
    expect(everything(other.authz_store_id)).toEqual(before);
    const events = purgedEvents(big.id);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.metadata_json)).toMatchObject({ backend: 'embedded', tuples_deleted: 1000 });
    const last = await runMaintenance(h.services, h.clock);
    expect(last.authzStorePurges).toEqual({ purged: 0, failed: 0, pending: 0, tuplesDeleted: 0 });
    const metrics = await (await h.request('GET', '/metrics', { key: null })).text();
    expect(metrics).toContain('portcullis_authz_store_purges_total{outcome="purged"} 1');
    expect(metrics).toContain('portcullis_authz_store_purges_pending 0');
  });

  it('keeps a purge across a restart: a second process over the data directory finishes it', async () => {
    h = new Harness({ authzPurgeBatchSize: 100, authzPurgeBatchesPerPass: 1 });
    const big = await h.createTenant('Restarted');
    await seed(big.authz_store_id, 250);
    await remove(big.id);
    await h.services.close();
    const again = buildServices(loadConfig({}, { dataDir: h.dir, logLevel: 'silent', authzPurgeBatchSize: 1000 }), { clock: h.clock });
    try {
      expect((await runMaintenance(again, h.clock)).authzStorePurges).toMatchObject({ purged: 1, pending: 0, tuplesDeleted: 150 });
      expect((again.storage.sql.raw.prepare('SELECT count(*) AS n FROM authz_tuples WHERE store_id = ?').get(big.authz_store_id) as { n: number }).n).toBe(0);
    } finally {
      await again.close();
    }
  });
});
