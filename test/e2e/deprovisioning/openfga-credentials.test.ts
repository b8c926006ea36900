import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { buildServices, type Services } from '../../../src/services.ts';
import { Harness } from '../../helpers/harness.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { scimClientFor, type ScimClient } from '../../helpers/scim.ts';

const bin = requireOpenFgaBinary();
const KEY = 'the-openfga-preshared-key-of-portcullis';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/**
 * The OpenFGA server refuses Portcullis' own credential (the pre-shared key was rotated on the
 * server, not in Portcullis' settings). That is Portcullis' fault, not the IdP's: a SCIM write
 * must not answer 401 — which tells the IdP that its SCIM token is bad (Entra quarantines the
 * provisioning job on it) — but 503, retried later; the tuple work stays queued.
 */
describe.skipIf(!bin)(`SCIM writes while the OpenFGA server refuses Portcullis' credential (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  let server: OpenFgaServer;
  let h: Harness;
  let scim: ScimClient;
  let rotated: Services;
  let app: OpenAPIHono;

  beforeAll(async () => {
    server = await OpenFgaServer.start(bin as string, { args: ['--authn-method', 'preshared', '--authn-preshared-keys', KEY] });
    h = new Harness({ authz: 'openfga', openfgaUrl: server.url, openfgaToken: KEY });
    const t = await h.createTenant('Rotated');
    scim = await scimClientFor(h, t.id, t.authz_store_id);
    // The same data directory, served with a key the server no longer accepts.
    rotated = buildServices(loadConfig({}, { dataDir: h.dir, logLevel: 'silent', authz: 'openfga', openfgaUrl: server.url, openfgaToken: 'a-key-the-server-never-had' }), { clock: h.clock });
    app = createApp(rotated);
  }, 60_000);
  afterAll(async () => {
    await rotated?.close();
    await h?.close();
    await server?.stop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(`${scim.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${scim.token}`, ...(body ? { 'content-type': 'application/scim+json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, res };
  };

  it('answers 503, not 401, and keeps the work queued; other writes of the tenant answer 503 too while it waits', async () => {
    const u = (await scim.call('POST', '/Users', { userName: 'ada@rotated.test' })).body.id as string;
    const g = (await scim.call('POST', '/Groups', { displayName: 'Ops', members: [] })).body.id as string;

    const add = await call('PATCH', `/Groups/${g}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: u }] }] });
    expect([add.status, add.body.status, add.res.headers.get('www-authenticate')]).toEqual([503, '503', null]);
    expect(JSON.stringify(add.body)).not.toContain('unauthenticated');
    const another = await call('POST', '/Users', { userName: 'bo@rotated.test' });
    expect(another.status).toBe(503);

    const queued = h.services.storage.sql.raw.prepare('SELECT kind, attempts, last_error_code FROM authz_pending_tuple_work WHERE store_id = ?').all(scim.storeId);
    expect(queued).toEqual([{ kind: 'change', attempts: 2, last_error_code: 'unauthenticated' }]);
    // With the right key again, the work goes through.
    await h.services.authzWriter.finishPending(scim.storeId);
    expect((await h.services.authz.check(scim.storeId, { tuple_key: { user: `user:${u}`, relation: 'member', object: `group:${g}` } })).allowed).toBe(true);
  });
});
