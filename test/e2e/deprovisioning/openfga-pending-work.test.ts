import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.ts';
import { runMaintenance } from '../../../src/maintenance.ts';
import { buildServices } from '../../../src/services.ts';
import { Harness } from '../../helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { scimClientFor, type ScimClient } from '../../helpers/scim.ts';
import { HoldingRelay } from '../../helpers/tcp-relay.ts';

const bin = requireOpenFgaBinary();
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/**
 * SCIM on a remote OpenFGA server: tuple work whose request failed (the server was unreachable
 * after the directory change committed) is kept in Portcullis' database, in order, and finished
 * by the IdP's retry, by the next write of the tenant, or by the housekeeping — never lost, never
 * reordered, and never in another tenant's way.
 */
describe.skipIf(!bin)(`SCIM tuple work left pending on an unreachable OpenFGA (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  const relay = new HoldingRelay();
  let h: Harness;
  let acme: ScimClient;
  let globex: ScimClient;

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    await relay.start(new URL(server.url));
    h = new Harness({ authz: 'openfga', openfgaUrl: relay.url });
    for (const name of ['Acme', 'Globex']) {
      const t = await h.createTenant(name);
      const client = await scimClientFor(h, t.id, t.authz_store_id);
      if (name === 'Acme') acme = client;
      else globex = client;
    }
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

  const user = async (s: ScimClient, name: string) => (await s.call('POST', '/Users', { userName: `${name}@${s.tenantId}.test` })).body.id as string;
  const group = async (s: ScimClient, name: string, members: string[]) => {
    const r = await s.call('POST', '/Groups', { displayName: name, members: members.map((value) => ({ value })) });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as string;
  };
  const removeMember = (s: ScimClient, g: string, u: string) => s.call('PATCH', `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${u}"]` }] });
  const addMember = (s: ScimClient, g: string, u: string) => s.call('PATCH', `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: u }] }] });
  const isMember = async (s: ScimClient, u: string, g: string) => (await h.services.authz.check(s.storeId, { tuple_key: { user: `user:${u}`, relation: 'member', object: `group:${g}` } })).allowed;
  const queued = (s: ScimClient) => (h.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM authz_pending_tuple_work WHERE store_id = ?').get(s.storeId) as { n: number }).n;
  const gauge = async () => {
    const text = await (await h.request('GET', '/metrics', { key: null })).text();
    return Number(/^portcullis_authz_pending_tuple_work (\d+)/m.exec(text)?.[1]);
  };

  it('a member removed while OpenFGA is down and added again once it is back ends up a member: the removal is applied first', async () => {
    const u = await user(acme, 'ada');
    const g = await group(acme, 'Ops', [u]);
    relay.cut();
    const failed = await removeMember(acme, g, u);
    expect([failed.status, failed.body.schemas, failed.body.status]).toEqual([503, [SCIM_ERROR], '503']);
    expect(queued(acme)).toBe(1);
    relay.mode = 'pass';
    expect((await addMember(acme, g, u)).status).toBe(204);
    expect(await isMember(acme, u, g)).toBe(true);
    expect(queued(acme)).toBe(0);
  });

  it('a retry while OpenFGA is still down answers as the first attempt did (503, not 404), and the one after it is back finishes the work', async () => {
    const u = await user(acme, 'bo');
    const g = await group(acme, 'Doomed', [u]);
    relay.cut();
    const first = await acme.call('DELETE', `/Groups/${g}`);
    const retry = await acme.call('DELETE', `/Groups/${g}`);
    expect([first.status, retry.status]).toEqual([503, 503]);
    expect(retry.body).toMatchObject({ schemas: [SCIM_ERROR], status: '503' });
    relay.mode = 'pass';
    expect(await isMember(acme, u, g)).toBe(true);
    expect((await acme.call('DELETE', `/Groups/${g}`)).status).toBe(404);
    expect(await isMember(acme, u, g)).toBe(false);
    expect(queued(acme)).toBe(0);
  });

  it('the housekeeping finishes work a failed request left, without any retry, and counts it', async () => {
    const u = await user(acme, 'cy');
    const g = await group(acme, 'Admins', [u]);
    const mapped = await h.json('POST', `/admin/v1/tenants/${acme.tenantId}/scim/group-mappings`, { body: { group_id: g, relation: 'admin' } });
    expect(mapped.status).toBe(201);
    const admin = async () => (await h.services.authz.check(acme.storeId, { tuple_key: { user: `user:${u}`, relation: 'admin', object: `organization:${acme.tenantId}` } })).allowed;
    expect(await admin()).toBe(true);
    const v = await user(globex, 'gil');
    const gg = await group(globex, 'Auditors', [v]);
    relay.cut();
    expect((await acme.call('DELETE', `/Groups/${g}`)).status).toBe(503);
    expect((await removeMember(globex, gg, v)).status).toBe(503);
    expect([queued(acme), queued(globex), await gauge()]).toEqual([2, 1, 3]);
    const tried = (h.services.storage.sql.raw.prepare('SELECT attempts FROM authz_pending_tuple_work WHERE store_id = ? ORDER BY seq').get(acme.storeId) as { attempts: number }).attempts;
    // The server is unreachable: the pass stops at the first store rather than wait out every store's timeouts.
    expect((await runMaintenance(h.services, h.clock)).authzPending).toEqual({ stores: 1, failed: 1, applied: 0 });
    const warned = h.logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg?.includes('queued authorization tuple work failed'));
    expect(warned.at(-1)).toMatchObject({ level: 'warn', store_id: acme.storeId, kind: 'delete_for_object', code: 'unavailable', attempts: tried + 1 });
    expect(JSON.stringify(warned.at(-1))).not.toContain(g);
    relay.mode = 'pass';
    expect(await admin()).toBe(true);
    expect((await runMaintenance(h.services, h.clock)).authzPending).toEqual({ stores: 2, failed: 0, applied: 3 });
    expect([await admin(), await isMember(acme, u, g), await isMember(globex, v, gg), queued(acme), queued(globex), await gauge()]).toEqual([false, false, false, 0, 0, 0]);
    expect((await runMaintenance(h.services, h.clock)).authzPending).toEqual({ stores: 0, failed: 0, applied: 0 });
  });

  it('another tenant\'s requests are neither held up nor failed by this tenant\'s backlog', async () => {
    const u = await user(acme, 'di');
    const g = await group(acme, 'Night shift', [u]);
    relay.cut();
    expect((await removeMember(acme, g, u)).status).toBe(503);
    // Acme's store is reachable no more: its drain hangs on the server (as a stuck server would).
    relay.mode = 'pass';
    relay.holdWhen = acme.storeId;
    const heldBefore = relay.held;
    let housekeepingDone = false;
    const housekeeping = runMaintenance(h.services, h.clock).finally(() => (housekeepingDone = true));
    for (let i = 0; i < 200 && relay.held === heldBefore; i++) await sleep(25);
    expect(relay.held).toBeGreaterThan(heldBefore);

    // A write of Acme's waits for Acme's drain, as the housekeeping does.
    let acmeAnswered = false;
    const acmeWrite = acme.call('POST', '/Users', { userName: 'gus@acme.test' }).finally(() => (acmeAnswered = true));

    const v = await user(globex, 'eve');
    const w = await user(globex, 'fay');
    const gg = await group(globex, 'Finance', [v, w]);
    expect((await removeMember(globex, gg, w)).status).toBe(204);
    expect([await isMember(globex, v, gg), await isMember(globex, w, gg)]).toEqual([true, false]);
    expect([housekeepingDone, acmeAnswered]).toEqual([false, false]);

    relay.cut();
    expect((await housekeeping).authzPending).toMatchObject({ failed: 1 });
    expect((await acmeWrite).status).toBe(503);
    relay.mode = 'pass';
    relay.holdWhen = undefined;
    expect((await acme.call('GET', `/Groups/${g}`)).status).toBe(200);
    expect(queued(acme)).toBe(1);
    expect((await runMaintenance(h.services, h.clock)).authzPending).toEqual({ stores: 1, failed: 0, applied: 1 });
    expect(await isMember(acme, u, g)).toBe(false);
  });

  it('a write answered 503 because earlier work could not be applied changed nothing: its retry creates the user once, alone or in a Bulk', async () => {
    const u = await user(acme, 'ike');
    const g = await group(acme, 'Backlog', [u]);
    relay.cut();
    expect((await removeMember(acme, g, u)).status).toBe(503);
    const create = () => acme.call('POST', '/Users', { userName: 'jo@acme.test' });
    const bulk = () =>
      acme.call('POST', '/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [{ method: 'POST', path: '/Users', bulkId: 'kim', data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'kim@acme.test' } }],
      });
    expect([(await create()).status, (await bulk()).status]).toEqual([503, 503]);
    relay.mode = 'pass';
    const retried = await create();
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    const bulkRetried = await bulk();
    expect(bulkRetried.body.Operations.map((o: { status: string }) => o.status)).toEqual(['201']);
    expect([queued(acme), await isMember(acme, u, g)]).toEqual([0, false]);
  });

  it('a SCIM change that rolls back queues nothing', async () => {
    const u = await user(acme, 'hal');
    const g = await group(acme, 'Rollback', []);
    const raw = h.services.storage.sql.raw;
    raw.exec(`CREATE TEMP TRIGGER fail_members_added BEFORE INSERT ON audit_events WHEN NEW.action = 'directory.group.members_added' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    try {
      expect((await addMember(acme, g, u)).status).toBe(500);
    } finally {
      raw.exec('DROP TRIGGER fail_members_added');
    }
    expect(queued(acme)).toBe(0);
    expect((await acme.call('GET', `/Groups/${g}`)).body.members ?? []).toEqual([]);
    expect(await isMember(acme, u, g)).toBe(false);
  });
});

describe.skipIf(!bin)(`SCIM tuple work pending across a restart (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  it('survives the process: new services over the same data directory finish it and audit it', async () => {
    const server = await OpenFgaServer.start(bin as string);
    const relay = new HoldingRelay();
    await relay.start(new URL(server.url));
    const h = new Harness({ authz: 'openfga', openfgaUrl: relay.url });
    const tenant = await h.createTenant('Initech');
    const s = await scimClientFor(h, tenant.id, tenant.authz_store_id);
    const u = (await s.call('POST', '/Users', { userName: 'ivy@initech.test' })).body.id as string;
    const g = (await s.call('POST', '/Groups', { displayName: 'Admins', members: [{ value: u }] })).body.id as string;
    await h.json('POST', `/admin/v1/tenants/${tenant.id}/scim/group-mappings`, { body: { group_id: g, relation: 'admin' } });
    relay.cut();
    expect((await s.call('DELETE', `/Groups/${g}`)).status).toBe(503);
    await h.services.close();

    relay.mode = 'pass';
    const next = buildServices(loadConfig({}, { dataDir: h.dir, logLevel: 'silent', authz: 'openfga', openfgaUrl: relay.url }), { clock: h.clock });
    try {
      const admin = async () => (await next.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${u}`, relation: 'admin', object: `organization:${tenant.id}` } })).allowed;
      expect(await admin()).toBe(true);
      expect((await runMaintenance(next, h.clock)).authzPending).toEqual({ stores: 1, failed: 0, applied: 2 });
      expect(await admin()).toBe(false);
      const deleted = next.audit.list(tenant.id, { action: 'authz.tuples.deleted' }, undefined, 10).data.map((e) => e.metadata?.filter);
      expect(deleted).toEqual([{ user: `group:${g}#member` }, { object: `group:${g}` }]);
    } finally {
      await next.close();
      rmSync(h.dir, { recursive: true, force: true });
      await relay.close();
      await server.stop();
    }
  }, 60_000);
});
