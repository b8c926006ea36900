import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/events.ts';
import { cli } from '../helpers/cli.ts';
import type { Harness } from '../helpers/harness.ts';
import { authzHarness, BACKENDS } from './backends.ts';

const check = async (h: Harness, store: string, user: string, relation: string, object: string) =>
  (await h.json('POST', `/stores/${store}/check`, { body: { tuple_key: { user, relation, object } } })).body.allowed;

const actions = async (h: Harness, tenantId: string) =>
  (await h.json('GET', `/admin/v1/tenants/${tenantId}/audit?limit=200`)).body.data.map((e: { action: string }) => e.action);

describe.each(BACKENDS)('hooks other domains use (%s backend)', (backend) => {
  let h: Harness;
  let stop: () => Promise<void>;
  let tenant: { id: string; authz_store_id: string };
  let store: string;

  beforeAll(async () => {
    ({ h, stop } = await authzHarness(backend));
    tenant = await h.createTenant('Hooks');
    store = tenant.authz_store_id;
  });
  afterAll(() => stop());

  it('gives every new tenant store the default model, audited on the tenant\'s own chain with its creation, not on the platform chain', async () => {
    const res = await h.json('GET', `/stores/${store}/authorization-models`);
    expect(res.body.authorization_models).toHaveLength(1);
    expect(res.body.authorization_models[0].type_definitions.map((t: { type: string }) => t.type)).toEqual(['user', 'group', 'organization']);
    const modelId = res.body.authorization_models[0].id as string;

    const log = (await h.json('GET', `/admin/v1/tenants/${tenant.id}/audit?limit=200`)).body.data as AuditEvent[];
    const first = log.slice(-2).reverse();
    expect(first.map((e) => [e.seq, e.action, e.target?.id])).toEqual([
      [1, 'tenant.created', tenant.id],
      [2, 'authz.model.written', modelId],
    ]);
    expect(first[1]?.request_id).toBe(first[0]?.request_id);
    expect(first[1]?.actor).toEqual(first[0]?.actor);
    expect(first[1]?.metadata).toMatchObject({ store_id: store });

    const platform = await cli(['audit', 'export', '--platform', '--data-dir', h.dir]);
    expect(platform.code, platform.stderr).toBe(0);
    const platformEvents = platform.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEvent);
    expect(platformEvents.length).toBeGreaterThan(0);
    expect(platformEvents.filter((e) => e.action === 'authz.model.written')).toEqual([]);
    for (const chain of [['--platform'], ['--tenant', tenant.id]]) {
      const verified = await cli(['audit', 'verify', ...chain, '--data-dir', h.dir, '--json']);
      expect([verified.code, verified.json().ok], verified.stdout + verified.stderr).toEqual([0, true]);
    }
  });

  it('syncs group membership through the staged writer, idempotently, with audit events', async () => {
    const s = h.services;
    const change = {
      writes: [
        { user: 'user:u1', relation: 'member', object: 'group:eng' },
        { user: 'group:eng#member', relation: 'admin', object: `organization:${tenant.id}` },
      ],
    };
    for (let i = 0; i < 2; i++) {
      const staged = s.storage.transaction(() => s.authzWriter.stage(store, change));
      await staged.flush();
    }
    expect(await check(h, store, 'user:u1', 'admin', `organization:${tenant.id}`)).toBe(true);
    const removed = s.storage.transaction(() => s.authzWriter.stage(store, { deletes: [change.writes[0]!] }));
    await removed.flush();
    await removed.flush();
    expect(await check(h, store, 'user:u1', 'admin', `organization:${tenant.id}`)).toBe(false);
    const log = await actions(h, tenant.id);
    expect(log).toContain('authz.tuples.written');
    expect(log).toContain('authz.tuples.deleted');
  });

  it('revokes every tuple of a deprovisioned user (authz_tuples revoker), and a check after it is false', async () => {
    const s = h.services;
    const keep = { user: 'user:u3', relation: 'member', object: 'group:ops' };
    await h.json('POST', `/stores/${store}/write`, {
      body: {
        writes: {
          tuple_keys: [
            { user: 'user:u2', relation: 'member', object: 'group:ops' },
            { user: 'user:u2', relation: 'owner', object: `organization:${tenant.id}` },
            keep,
          ],
        },
      },
    });
    expect(await check(h, store, 'user:u2', 'viewer', `organization:${tenant.id}`)).toBe(true);

    const staged = s.storage.transaction(() => s.deprovisioner.revokeAll({ tenantId: tenant.id, userId: 'u2', reason: 'scim_deactivated' }));
    const counts = await staged.flush();
    expect(counts.authz_tuples).toBe(2);

    expect(await check(h, store, 'user:u2', 'owner', `organization:${tenant.id}`)).toBe(false);
    expect(await check(h, store, 'user:u2', 'member', 'group:ops')).toBe(false);
    expect(await check(h, store, 'user:u3', 'member', 'group:ops')).toBe(true);
    const read = await h.json('POST', `/stores/${store}/read`, { body: { tuple_key: { user: 'user:u2', object: 'group:' } } });
    expect(read.body.tuples).toEqual([]);
    const events = (await h.json('GET', `/admin/v1/tenants/${tenant.id}/audit?action=authz.tuples.deleted&limit=200`)).body.data;
    expect(events.some((e: { metadata: { filter?: { user?: string }; count: number } }) => e.metadata.filter?.user === 'user:u2' && e.metadata.count === 2)).toBe(true);
  });

  it('removes a deleted group: its memberships (by object) and its role mappings (by userset)', async () => {
    const s = h.services;
    const org = `organization:${tenant.id}`;
    await h.json('POST', `/stores/${store}/write`, {
      body: {
        writes: {
          tuple_keys: [
            { user: 'user:g1', relation: 'member', object: 'group:doomed' },
            { user: 'user:g2', relation: 'member', object: 'group:doomed' },
            { user: 'group:doomed#member', relation: 'admin', object: org },
            { user: 'user:g1', relation: 'member', object: 'group:other' },
          ],
        },
      },
    });
    expect(await check(h, store, 'user:g2', 'admin', org)).toBe(true);
    const staged = s.storage.transaction(() => ({
      members: s.authzWriter.stageDeleteTuplesForObject(store, 'group:doomed'),
      mappings: s.authzWriter.stageDeleteTuplesForUser(store, 'group:doomed#member'),
    }));
    expect(await staged.members.flush()).toBe(2);
    expect(await staged.mappings.flush()).toBe(1);
    expect(await check(h, store, 'user:g2', 'admin', org)).toBe(false);
    expect(await check(h, store, 'user:g1', 'member', 'group:doomed')).toBe(false);
    expect(await check(h, store, 'user:g1', 'member', 'group:other')).toBe(true);
  });

  it('audits model and tuple writes made through the API, attributed to the key', async () => {
    const key = await h.tenantKey(tenant.id, ['authz:write', 'authz:model']);
    const model = (await h.json('GET', `/stores/${store}/authorization-models`)).body.authorization_models[0];
    const written = await h.json('POST', `/stores/${store}/authorization-models`, {
      key: key.key,
      body: { schema_version: '1.1', type_definitions: model.type_definitions },
    });
    expect(written.status).toBe(201);
    await h.json('POST', `/stores/${store}/write`, {
      key: key.key,
      body: { writes: { tuple_keys: [{ user: 'user:u9', relation: 'member', object: 'group:x' }] } },
    });
    const events = (await h.json('GET', `/admin/v1/tenants/${tenant.id}/audit?limit=5`)).body.data;
    const [tuples, modelEvent] = events;
    expect(tuples).toMatchObject({ action: 'authz.tuples.written', actor: { type: 'tenant_key', credential_id: key.id } });
    expect(tuples.after).toEqual({ tuples: [{ user: 'user:u9', relation: 'member', object: 'group:x' }] });
    expect(modelEvent).toMatchObject({
      action: 'authz.model.written',
      target: { type: 'authorization_model', id: written.body.authorization_model_id },
    });
    expect((await h.json('GET', `/admin/v1/tenants/${tenant.id}/audit/verify`)).body).toMatchObject({ ok: true });
  });

  it('writes no audit event for a refused write', async () => {
    const before = await actions(h, tenant.id);
    const res = await h.json('POST', `/stores/${store}/write`, {
      body: { writes: { tuple_keys: [{ user: 'user:u9', relation: 'nope', object: 'group:x' }] } },
    });
    expect(res.status).toBe(400);
    expect(await actions(h, tenant.id)).toEqual(before);
  });
});
