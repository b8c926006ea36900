import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../test/helpers/harness.ts';
import { scimClient, type ScimClient } from '../../test/helpers/scim.ts';
import type { DeprovisionTarget } from './deprovisioning.ts';
import { BULK_REQUEST, PATCH_OP, USER_SCHEMA } from './scim/schema/urns.ts';

/**
 * A revoker with a remote part, standing in for the SSO domain's session revoker (registered by
 * that domain in services.ts): it counts what it revokes inside the transaction and finishes in
 * `flush` after a delay, so the test sees whether SCIM waits for it before answering.
 */
function remoteRevoker(h: Harness) {
  const calls: { target: DeprovisionTarget; inTransaction: boolean }[] = [];
  let flushed = 0;
  h.services.deprovisioner.register({
    name: 'test_sessions',
    revoke(target) {
      calls.push({ target, inTransaction: h.services.storage.sql.raw.inTransaction });
      return { staged: 2, flush: () => new Promise((r) => setTimeout(() => (flushed++, r(3)), 30)) };
    },
  });
  return { calls, flushed: () => flushed };
}

describe('deprovisioning finishes inside the SCIM request', () => {
  let h: Harness;
  let s: ScimClient;
  let userId: string;
  beforeEach(async () => {
    h = new Harness();
    s = await scimClient(h);
    userId = (await s.call('POST', '/Users', { schemas: [USER_SCHEMA], userName: 'ada@acme.test', active: true })).body.id;
  });
  afterEach(() => h.close());

  const deactivations: [string, (s: ScimClient, id: string) => Promise<{ status: number }>][] = [
    ['Okta path-less replace', (c, id) => c.call('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] })],
    ['Entra "False" string', (c, id) => c.call('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] })],
    ['PUT with active false', (c, id) => c.call('PUT', `/Users/${id}`, { schemas: [USER_SCHEMA], userName: 'ada@acme.test', active: false })],
    ['a bulk PATCH', (c, id) => c.call('POST', '/Bulk', { schemas: [BULK_REQUEST], Operations: [{ method: 'PATCH', path: `/Users/${id}`, data: { Operations: [{ op: 'replace', path: 'active', value: false }] } }] })],
    ['DELETE', (c, id) => c.call('DELETE', `/Users/${id}`)],
  ];

  it.each(deactivations)('%s runs every revoker in the transaction and awaits its flush before the 2xx', async (_how, deactivate) => {
    const revoker = remoteRevoker(h);
    const res = await deactivate(s, userId);
    expect(res.status).toBeLessThan(300);
    expect(revoker.calls).toHaveLength(1);
    expect(revoker.calls[0]).toMatchObject({ inTransaction: true, target: { tenantId: s.tenantId, userId } });
    expect(revoker.flushed()).toBe(1);
    const [event] = h.services.audit.list(s.tenantId, { action: 'directory.user.deprovisioned', target_id: userId }, undefined, 5).data;
    expect(event?.metadata).toMatchObject({ revoked: { test_sessions: 2 }, total: 2 });
    const [completed] = h.services.audit.list(s.tenantId, { action: 'directory.user.deprovision_completed', target_id: userId }, undefined, 5).data;
    expect(completed?.metadata).toMatchObject({ revoked: { test_sessions: 3 }, total: 3 });
  });

  it('records the reason: scim_deactivated for active=false, scim_deleted for DELETE', async () => {
    const revoker = remoteRevoker(h);
    await s.call('PATCH', `/Users/${userId}`, { Operations: [{ op: 'replace', path: 'active', value: false }] });
    await s.call('DELETE', `/Users/${userId}`);
    expect(revoker.calls.map((c) => c.target.reason)).toEqual(['scim_deactivated', 'scim_deleted']);
  });

  it('rolls the whole change back when a revoker fails, leaving the user active', async () => {
    h.services.deprovisioner.register({
      name: 'broken',
      revoke() {
        throw new Error('revoker failed');
      },
    });
    const res = await s.call('PATCH', `/Users/${userId}`, { Operations: [{ op: 'replace', path: 'active', value: false }] });
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ status: '500', detail: expect.not.stringContaining('revoker failed') });
    expect((await s.call('GET', `/Users/${userId}`)).body).toMatchObject({ active: true, meta: { version: 'W/"1"' } });
    expect(h.services.audit.list(s.tenantId, { action: 'directory.user.deactivated' }, undefined, 5).data).toHaveLength(0);
  });

  it('reactivation restores the account without calling the revokers again, and audits it', async () => {
    const revoker = remoteRevoker(h);
    await s.call('PATCH', `/Users/${userId}`, { Operations: [{ op: 'replace', path: 'active', value: false }] });
    const back = await s.call('PATCH', `/Users/${userId}`, { Operations: [{ op: 'replace', path: 'active', value: true }] });
    expect(back.body.active).toBe(true);
    expect(revoker.calls).toHaveLength(1);
    const actions = h.services.audit.list(s.tenantId, { target_id: userId }, undefined, 20).data.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['directory.user.deactivated', 'directory.user.deprovisioned', 'directory.user.reactivated']));
    expect(h.services.directory.findUserById(s.tenantId, userId)?.active).toBe(true);
  });

  it('repeats the revocations when an inactive user is deactivated again (a retry after a failed flush)', async () => {
    const revoker = remoteRevoker(h);
    await s.call('PATCH', `/Users/${userId}`, { Operations: [{ op: 'replace', path: 'active', value: false }] });
    await s.call('PATCH', `/Users/${userId}`, { Operations: [{ op: 'replace', path: 'active', value: false }] });
    expect(revoker.calls).toHaveLength(2);
  });
});
