import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/events.ts';
import { Harness } from '../helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../helpers/openfga-server.ts';
import { scimClient, type ScimClient } from '../helpers/scim.ts';

const bin = requireOpenFgaBinary();
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const backends: { name: string; skip: boolean; overrides: () => Record<string, unknown> }[] = [
  { name: 'the embedded engine', skip: false, overrides: () => ({}) },
  { name: `a remote OpenFGA server (skipped when ${OPENFGA_MISSING_REASON})`, skip: !bin, overrides: () => ({ authz: 'openfga', openfgaUrl: server.url }) },
];
let server: OpenFgaServer;

beforeAll(async () => {
  if (bin) server = await OpenFgaServer.start(bin);
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

/**
 * The tuples a SCIM request writes or deletes as a side effect (memberships, a deprovisioned
 * user's tuples, a deleted group's) are audited as the SCIM token's doing, like the directory
 * change that caused them; those of an admin's group mapping as the admin's.
 */
describe.each(backends)('authorization tuple events of SCIM writes name the SCIM token, on $name', ({ skip, overrides }) => {
  let h: Harness;
  let s: ScimClient;
  let tokenId: string;

  beforeAll(async () => {
    if (skip) return;
    h = new Harness(overrides());
    s = await scimClient(h);
    tokenId = h.services.audit.list(s.tenantId, { action: 'scim.token.created' }, undefined, 1).data[0]?.target?.id as string;
    expect(tokenId).toMatch(/\w/);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  /** Sends a SCIM request; the events it caused (by its X-Request-Id), oldest first. */
  const send = async (method: string, path: string, body?: unknown) => {
    const r = await s.call(method, path, body);
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    const requestId = r.res.headers.get('x-request-id');
    const events = h.services.audit.list(s.tenantId, {}, undefined, 500).data.filter((e) => e.request_id === requestId).reverse();
    return { body: r.body, events };
  };
  const tupleEvents = (events: AuditEvent[]) => events.filter((e) => e.action.startsWith('authz.tuples.'));
  const attribution = (events: AuditEvent[]) => tupleEvents(events).map((e) => [e.action, e.actor.type, e.actor.credential_id]);

  it.skipIf(skip)('memberships written and deleted through /Groups, and a deleted group\'s tuples', async () => {
    const ada = (await send('POST', '/Users', { userName: 'ada@acme.test' })).body.id as string;
    const created = await send('POST', '/Groups', { displayName: 'Ops', members: [{ value: ada }] });
    expect(attribution(created.events)).toEqual([['authz.tuples.written', 'scim_token', tokenId]]);

    const groupId = created.body.id as string;
    const removed = await send('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${ada}"]` }] });
    expect(attribution(removed.events)).toEqual([['authz.tuples.deleted', 'scim_token', tokenId]]);

    await send('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: ada }] }] });
    const deleted = await send('DELETE', `/Groups/${groupId}`);
    expect(attribution(deleted.events)).toEqual([['authz.tuples.deleted', 'scim_token', tokenId]]);
    expect(tupleEvents(deleted.events)[0]?.metadata).toMatchObject({ filter: { object: `group:${groupId}` }, count: 1 });
  });

  it.skipIf(skip)('a deactivated, reactivated and deleted user\'s tuples', async () => {
    const bob = (await send('POST', '/Users', { userName: 'bob@acme.test' })).body.id as string;
    await send('POST', '/Groups', { displayName: 'Finance', members: [{ value: bob }] });

    const deactivated = await send('PATCH', `/Users/${bob}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(attribution(deactivated.events)).toEqual([['authz.tuples.deleted', 'scim_token', tokenId]]);
    expect(tupleEvents(deactivated.events)[0]?.metadata).toMatchObject({ filter: { user: `user:${bob}` }, count: 1 });

    const reactivated = await send('PATCH', `/Users/${bob}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] });
    expect(attribution(reactivated.events)).toEqual([['authz.tuples.written', 'scim_token', tokenId]]);

    const deleted = await send('DELETE', `/Users/${bob}`);
    // Its membership goes with the user; the sweep of the user's tuples finds nothing left (no event).
    expect(attribution(deleted.events)).toEqual([['authz.tuples.deleted', 'scim_token', tokenId]]);
  });

  it.skipIf(skip)('an admin\'s group mapping: its tuple written and deleted as the admin\'s', async () => {
    const groupId = (await send('POST', '/Groups', { displayName: 'Reviewers' })).body.id as string;
    const mapping = await h.json('POST', `/admin/v1/tenants/${s.tenantId}/scim/group-mappings`, { body: { group_id: groupId, relation: 'viewer' } });
    expect(mapping.status, JSON.stringify(mapping.body)).toBe(201);
    const removed = await h.json('DELETE', `/admin/v1/tenants/${s.tenantId}/scim/group-mappings/${mapping.body.id}`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
    for (const res of [mapping.res, removed.res]) {
      const events = h.services.audit.list(s.tenantId, {}, undefined, 500).data.filter((e) => e.request_id === res.headers.get('x-request-id'));
      expect(tupleEvents(events).map((e) => e.actor.type)).toEqual(['platform_key']);
    }
  });
});
