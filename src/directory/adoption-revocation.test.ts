import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../test/helpers/scim.ts';
import { systemActor } from '../audit/events.ts';
import type { DeprovisionTarget } from './deprovisioning.ts';
import { USER_SCHEMA } from './scim/schema/urns.ts';

/**
 * The directory's side of revoking a just-in-time user's sign-ins when SCIM adopts it into a
 * bound directory. Which directories are bound is SSO's knowledge, injected by the composition
 * root; here the test plays that part (the end-to-end suite binds a real connection).
 */
describe('adoption into a bound directory revokes the sign-ins, not the tuples', () => {
  let h: Harness;
  let s: ScimClient;
  let bound: Set<string>;
  let calls: { target: DeprovisionTarget; inTransaction: boolean }[];
  let flushed: number;

  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
    bound = new Set();
    h.services.scim.directories.boundConnections = (_tenant, directoryId) => (bound.has(directoryId) ? [{ id: 'conn_test', name: 'Test' }] : []);
    calls = [];
    flushed = 0;
    h.services.deprovisioner.register({
      name: 'test_sessions',
      revoke(target) {
        calls.push({ target, inTransaction: h.services.storage.sql.raw.inTransaction });
        return { staged: 1, flush: () => new Promise((r) => setTimeout(() => (flushed++, r(1)), 30)) };
      },
    });
  });
  afterEach(() => h.close());

  const jitUser = (userName: string) =>
    h.services.directory.createUserJustInTime(s.tenantId, { user_name: userName, email: userName, external_id: null, given_name: null, family_name: null, display_name: null }, systemActor()).id;
  const post = (userName: string, active = true) => s.call('POST', '/Users', { schemas: [USER_SCHEMA], userName, active });
  const deprovisioned = (userId: string) => h.services.audit.list(s.tenantId, { action: 'directory.user.deprovisioned', target_id: userId }, undefined, 5).data;

  it('runs every revoker but authz_tuples inside the POST transaction, awaits the flush before the 201, and audits scim_adopted', async () => {
    bound.add(s.directoryId);
    const id = jitUser('ada@acme.test');
    const res = await post('ada@acme.test');
    expect(res).toMatchObject({ status: 201, body: { id } });
    expect(calls).toEqual([{ inTransaction: true, target: { tenantId: s.tenantId, userId: id, reason: 'scim_adopted', directoryId: s.directoryId, actor: expect.objectContaining({ type: 'scim_token' }) } }]);
    expect(flushed).toBe(1);
    const [event] = deprovisioned(id);
    expect(event?.metadata).toMatchObject({ reason: 'scim_adopted', revoked: { test_sessions: 1, sessions: 0, refresh_tokens: 0, grants: 0 }, total: 1, kept: ['authz_tuples'] });
    expect(event?.metadata?.revoked).not.toHaveProperty('authz_tuples');
  });

  it('revokes nothing when the directory is not bound, when SCIM creates a new user, or on a second POST (409)', async () => {
    const id = jitUser('ada@acme.test');
    expect((await post('ada@acme.test')).body.id).toBe(id);
    bound.add(s.directoryId);
    expect((await post('new@acme.test')).status).toBe(201);
    expect((await post('ada@acme.test')).status).toBe(409);
    expect(calls).toHaveLength(0);
    expect(deprovisioned(id)).toHaveLength(0);
    // The control: the same directory, now bound, adopting a just-in-time user.
    jitUser('bea@acme.test');
    expect((await post('bea@acme.test')).status).toBe(201);
    expect(calls.map((c) => c.target.reason)).toEqual(['scim_adopted']);
  });

  it('runs a revoker limited to scim_adopted on adoption only, not on deactivation or deletion', async () => {
    bound.add(s.directoryId);
    const adoptedOnly: string[] = [];
    h.services.deprovisioner.register({
      name: 'test_adopted_only',
      reasons: ['scim_adopted'],
      revoke(target) {
        adoptedOnly.push(`${target.reason}:${target.userId}`);
        return { staged: 1, flush: async () => 1 };
      },
    });
    const ada = jitUser('ada@acme.test');
    expect((await post('ada@acme.test')).status).toBe(201);
    const zed = (await post('zed@acme.test')).body.id as string;
    expect((await s.call('PATCH', `/Users/${zed}`, { Operations: [{ op: 'replace', path: 'active', value: false }] })).status).toBe(200);
    expect((await s.call('DELETE', `/Users/${ada}`)).status).toBe(204);
    expect(adoptedOnly).toEqual([`scim_adopted:${ada}`]);
    expect(calls.map((c) => c.target.reason)).toEqual(['scim_adopted', 'scim_deactivated', 'scim_deleted']);
    expect(deprovisioned(ada).find((e) => e.metadata?.reason === 'scim_adopted')?.metadata?.revoked).toMatchObject({ test_adopted_only: 1 });
    expect(deprovisioned(ada).find((e) => e.metadata?.reason === 'scim_deleted')?.metadata?.revoked).not.toHaveProperty('test_adopted_only');
    expect(deprovisioned(zed)[0]?.metadata?.revoked).not.toHaveProperty('test_adopted_only');
  });

  it('adopting a user pushed inactive deprovisions it fully (scim_deactivated), not twice', async () => {
    bound.add(s.directoryId);
    const id = jitUser('ada@acme.test');
    expect((await post('ada@acme.test', false)).status).toBe(201);
    expect(calls.map((c) => c.target.reason)).toEqual(['scim_deactivated']);
    expect(deprovisioned(id).map((e) => e.metadata?.reason)).toEqual(['scim_deactivated']);
  });
});
