import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { scimDirectory, type ScimDirectory } from '../../helpers/scim-directory.ts';
import { DelayingRelay } from './delaying-relay.ts';

const bin = requireOpenFgaBinary();
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/**
 * On a remote OpenFGA server a SCIM member addition writes its membership tuple after its
 * transaction commits. A deactivation, a deletion or a removal of that member that commits while
 * the write is on its way finds nothing to delete yet: the late write must not leave the user in
 * the group (and with the group's mapped role) behind it.
 */
describe.skipIf(!bin)(`a SCIM member addition overtaken on OpenFGA (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  const relay = new DelayingRelay();
  let env: SsoEnv;
  let tenant: { id: string; authz_store_id: string };
  let okta: ScimDirectory;
  let group: string;

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    await relay.start(new URL(server.url));
    env = await SsoEnv.start({ config: { authz: 'openfga', openfgaUrl: relay.url } });
    tenant = await env.tenant('Acme', 'acme');
    okta = await scimDirectory(env, tenant.id, 'Okta');
    group = (await okta.call('POST', '/Groups', { schemas: [GROUP], displayName: 'Admins' })).body.id;
    await env.ok('POST', `/admin/v1/tenants/${tenant.id}/scim/group-mappings`, { group_id: group, relation: 'admin' });
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await relay.close();
    await server?.stop();
  });

  const check = async (userId: string, relation: string, object: string) =>
    (await env.services.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${userId}`, relation, object } })).allowed;

  /** Adds the user to the group and returns once the membership write is being held back. */
  async function addHeld(userId: string) {
    relay.arm();
    const added = okta.call('PATCH', `/Groups/${group}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] });
    for (let i = 0; i < 200 && !relay.holding; i++) await sleep(25);
    expect(relay.holding).toBe(true);
    return { added };
  }

  it('a user deactivated while being added to a group is not left a member with its mapped role', async () => {
    const ada = await okta.push({ userName: 'ada@acme.test' });
    const { added } = await addHeld(ada);
    expect((await okta.call('PATCH', `/Users/${ada}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] })).status).toBe(200);
    relay.release();
    expect((await added).status).toBe(204);
    expect([await check(ada, 'member', `group:${group}`), await check(ada, 'admin', `organization:${tenant.id}`)]).toEqual([false, false]);
    // Reactivation brings the membership back, as for any member that was deactivated.
    expect((await okta.call('PATCH', `/Users/${ada}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] })).status).toBe(200);
    expect(await check(ada, 'admin', `organization:${tenant.id}`)).toBe(true);
  }, 30_000);

  it('a user removed from the group while being added is not left a member', async () => {
    const bo = await okta.push({ userName: 'bo@acme.test' });
    const { added } = await addHeld(bo);
    const removed = await okta.call('PATCH', `/Groups/${group}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${bo}"]` }] });
    expect(removed.status).toBe(204);
    relay.release();
    expect((await added).status).toBe(204);
    expect(await check(bo, 'admin', `organization:${tenant.id}`)).toBe(false);
  }, 30_000);

  it('a user deleted while being added to a group keeps no role', async () => {
    const cy = await okta.push({ userName: 'cy@acme.test' });
    const { added } = await addHeld(cy);
    expect((await okta.call('DELETE', `/Users/${cy}`)).status).toBe(204);
    relay.release();
    expect((await added).status).toBe(204);
    expect(await check(cy, 'admin', `organization:${tenant.id}`)).toBe(false);
  }, 30_000);
});
