import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { buildServices, type Services } from '../../../src/services.ts';
import { Harness } from '../../helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { scimClientFor, type ScimClient } from '../../helpers/scim.ts';
import { HoldingRelay } from '../../helpers/tcp-relay.ts';

const bin = requireOpenFgaBinary();
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * Two processes over one data directory: while process B drains a store's queue, a SCIM request
 * to process A queues its tuple work behind B's, and B applies it (one drain per store across
 * processes). A's audit events still say how many tuples went, as when A applied them itself.
 */
describe.skipIf(!bin)(`counts of tuple work another process applied (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  const relayA = new HoldingRelay();
  const relayB = new HoldingRelay();
  let h: Harness;
  let b: Services;
  let s: ScimClient;
  let org: string;

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    await relayA.start(new URL(server.url));
    await relayB.start(new URL(server.url));
    h = new Harness({ authz: 'openfga', openfgaUrl: relayA.url });
    b = buildServices(loadConfig({}, { dataDir: h.dir, logLevel: 'silent', authz: 'openfga', openfgaUrl: relayB.url }), { clock: h.clock });
    const tenant = await h.createTenant('Counts');
    s = await scimClientFor(h, tenant.id, tenant.authz_store_id);
    org = `organization:${tenant.id}`;
  }, 60_000);
  afterEach(() => relayB.release());
  afterAll(async () => {
    await b?.close();
    await h?.close();
    await relayA.close();
    await relayB.close();
    await server?.stop();
  });

  const queued = () => (h.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM authz_pending_tuple_work WHERE store_id = ?').get(s.storeId) as { n: number }).n;
  const audited = (action: string, targetId: string) => h.services.audit.list(s.tenantId, { action, target_id: targetId }, undefined, 5).data;

  /** Runs `request` on process A while process B is draining the store (its first change held on the way), then lets B go on. */
  async function behindProcessB<T>(request: () => Promise<T>): Promise<T> {
    b.storage.transaction(() => b.authzWriter.stage(s.storeId, { writes: [{ user: 'user:someone-else', relation: 'member', object: org }] }));
    relayB.holdWhen = s.storeId;
    const drainB = b.authzWriter.finishPending(s.storeId);
    for (let i = 0; i < 200 && relayB.held === 0; i++) await sleep(25);
    expect(relayB.held).toBeGreaterThan(0);
    const answer = request();
    for (let i = 0; i < 200 && queued() < 2; i++) await sleep(25);
    expect(queued()).toBe(2);
    relayB.release();
    await drainB;
    return answer;
  }

  it('a deactivation: directory.user.deprovision_completed counts the tuples process B deleted', async () => {
    const u = (await s.call('POST', '/Users', { userName: 'ada@counts.test' })).body.id as string;
    expect((await s.call('POST', '/Groups', { displayName: 'Ops', members: [{ value: u }] })).status).toBe(201);
    await h.services.authz.write(s.storeId, { writes: { tuple_keys: [{ user: `user:${u}`, relation: 'admin', object: org }] } });

    const r = await behindProcessB(() => s.call('PATCH', `/Users/${u}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] }));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(queued()).toBe(0);
    expect(audited('directory.user.deprovisioned', u)[0]?.metadata).toMatchObject({ revoked: { authz_tuples: 0 } });
    expect(audited('directory.user.deprovision_completed', u)[0]?.metadata).toMatchObject({ revoked: { authz_tuples: 2 }, total: 2 });
  });

  it('a group mapping\'s deletion: tuples_deleted counts the tuple process B deleted', async () => {
    const g = (await s.call('POST', '/Groups', { displayName: 'Reviewers' })).body.id as string;
    const mapping = await h.json('POST', `/admin/v1/tenants/${s.tenantId}/scim/group-mappings`, { body: { group_id: g, relation: 'viewer' } });
    expect(mapping.status, JSON.stringify(mapping.body)).toBe(201);

    const r = await behindProcessB(() => h.json('DELETE', `/admin/v1/tenants/${s.tenantId}/scim/group-mappings/${mapping.body.id}`));
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expect(audited('directory.group_mapping.deleted', mapping.body.id)[0]?.metadata).toEqual({ tuples_deleted: 1 });
  });
});
