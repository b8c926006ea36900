import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformer } from '@openfga/syntax-transformer';
import type { WriteAuthorizationModelRequest } from '@openfga/sdk';
import { Harness } from '../../helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { scimClientFor, type ScimClient } from '../../helpers/scim.ts';

const bin = requireOpenFgaBinary();
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** The default model, but an app may also grant group membership under a condition of its own. */
const MODEL = `model
  schema 1.1
type user
type group
  relations
    define member: [user, user with on_shift, group#member]
type organization
  relations
    define owner: [user, group#member]
    define admin: [user, group#member] or owner
    define member: [user, group#member] or admin
    define viewer: [user, group#member] or member
condition on_shift(hour: int) {
  hour >= 8 && hour < 18
}
`;

/**
 * Work the OpenFGA server refuses for good with another status than 400: writing a tuple that
 * exists already with a different condition answers 409 `Aborted` ("already exists with a
 * different condition") to every attempt. Such work must not hold the tenant's queue: what was
 * queued after it (another user's deprovisioning) still has to reach the server.
 */
describe.skipIf(!bin)(`queued tuple work the server refuses for good with a 409 (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  let h: Harness;
  let scim: ScimClient;

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string);
    h = new Harness({ authz: 'openfga', openfgaUrl: server.url });
    const t = await h.createTenant('Conditional');
    scim = await scimClientFor(h, t.id, t.authz_store_id);
    await h.services.authz.writeAuthorizationModel(t.authz_store_id, transformer.transformDSLToJSONObject(MODEL) as unknown as WriteAuthorizationModelRequest);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await server?.stop();
  });

  const user = async (name: string) => (await scim.call('POST', '/Users', { userName: `${name}@conditional.test` })).body.id as string;
  const has = async (user: string, relation: string, object: string) =>
    (await h.services.authz.check(scim.storeId, { tuple_key: { user, relation, object }, context: { hour: 9 } })).allowed;
  const queued = () => (h.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM authz_pending_tuple_work WHERE store_id = ?').get(scim.storeId) as { n: number }).n;

  it('a membership the app already granted under a condition does not block the tenant: later deprovisioning still reaches the server', async () => {
    const ada = await user('ada');
    const bo = await user('bo');
    const g = (await scim.call('POST', '/Groups', { displayName: 'Shift workers', members: [] })).body.id as string;
    await h.services.authz.write(scim.storeId, {
      writes: { tuple_keys: [{ user: `user:${ada}`, relation: 'member', object: `group:${g}`, condition: { name: 'on_shift' } }] },
    });
    const org = `organization:${scim.tenantId}`;
    await h.services.authz.write(scim.storeId, { writes: { tuple_keys: [{ user: `user:${bo}`, relation: 'viewer', object: org }] } });

    const add = await scim.call('PATCH', `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: ada }] }] });
    expect(add.status).toBe(409);
    // Ada's conditional grant is the app's: left as it was.
    expect(await has(`user:${ada}`, 'member', `group:${g}`)).toBe(true);

    // Bo is deprovisioned afterwards: the answer and the server must both say so.
    const off = await scim.call('PATCH', `/Users/${bo}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(await has(`user:${bo}`, 'viewer', org)).toBe(false);
    expect(queued()).toBe(0);
    // And the tenant's other SCIM writes answer as usual.
    expect((await scim.call('POST', '/Users', { userName: 'cy@conditional.test' })).status).toBe(201);
    expect(await (await h.request('GET', '/metrics', { key: null })).text()).toMatch(/^portcullis_authz_pending_tuple_work_attempts_total\{outcome="discarded"\} 1$/m);
  });
});
