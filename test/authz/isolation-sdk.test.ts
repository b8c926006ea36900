import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialsMethod, FgaApiNotFoundError, OpenFgaClient } from '@openfga/sdk';
import { rmSync } from 'node:fs';
import { systemActor } from '../../src/audit/events.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { buildServices, type Services } from '../../src/services.ts';
import { tempDir } from '../helpers/harness.ts';
import { FIXTURE_MODEL } from './routes-table.ts';

/** Tenant isolation as an application sees it: @openfga/sdk over a real Portcullis HTTP server. */
describe('tenant isolation through @openfga/sdk', () => {
  let dir: string;
  let s: Services;
  let server: RunningServer;
  let storeA: string;
  let storeB: string;
  let keyA: string;
  const missing = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  const client = (storeId: string, token: string) =>
    new OpenFgaClient({ apiUrl: server.url, storeId, credentials: { method: CredentialsMethod.ApiToken, config: { token } }, retryParams: { maxRetry: 0 } });

  beforeAll(async () => {
    dir = tempDir();
    s = buildServices(loadConfig({}, { dataDir: dir, port: 0, logLevel: 'silent' }));
    server = await startServer(s);
    const a = await s.tenants.create({ name: 'Tenant A' }, systemActor());
    const b = await s.tenants.create({ name: 'Tenant B' }, systemActor());
    storeA = a.authz_store_id;
    storeB = b.authz_store_id;
    keyA = s.apiKeys.createTenantKey(a.id, { name: 'app', scopes: ['authz:read', 'authz:write', 'authz:model'] }, systemActor()).key;
    await s.authz.writeAuthorizationModel(storeB, FIXTURE_MODEL as never);
    await s.authz.write(storeB, { writes: { tuple_keys: [{ user: 'user:bob', relation: 'viewer', object: 'doc:secret' }] } });
  });
  afterAll(async () => {
    await server.close();
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lets tenant A's key work in A's store", async () => {
    const fga = client(storeA, keyA);
    await fga.write({ writes: [{ user: 'user:anne', relation: 'member', object: 'group:eng' }] });
    expect((await fga.check({ user: 'user:anne', relation: 'member', object: 'group:eng' })).allowed).toBe(true);
  });

  const attempts: [string, (fga: OpenFgaClient) => Promise<unknown>][] = [
    ['read', (fga) => fga.read({})],
    ['write', (fga) => fga.write({ writes: [{ user: 'user:anne', relation: 'viewer', object: 'doc:secret' }] })],
    ['check', (fga) => fga.check({ user: 'user:bob', relation: 'viewer', object: 'doc:secret' })],
    ['list objects', (fga) => fga.listObjects({ user: 'user:bob', relation: 'viewer', type: 'doc' })],
    ['list users', (fga) => fga.listUsers({ object: { type: 'doc', id: 'secret' }, relation: 'viewer', user_filters: [{ type: 'user' }] })],
    ['read models', (fga) => fga.readAuthorizationModels()],
    ['write a model', (fga) => fga.writeAuthorizationModel(FIXTURE_MODEL as never)],
    ['get the store', (fga) => fga.getStore()],
  ];

  for (const [what, attempt] of attempts) {
    it(`answers tenant A's key trying to ${what} in B's store exactly as for a missing store`, async () => {
      const inB = await attempt(client(storeB, keyA)).then(() => 'succeeded', (e) => e);
      const inMissing = await attempt(client(missing, keyA)).then(() => 'succeeded', (e) => e);
      expect(inB).toBeInstanceOf(FgaApiNotFoundError);
      expect(inB.statusCode).toBe(404);
      expect(inB.responseData).toEqual({ code: 'store_id_not_found', message: 'Store ID not found' });
      expect(inMissing.responseData).toEqual(inB.responseData);
    });
  }

  it("leaves B's store untouched", async () => {
    const tuples = await s.authz.read(storeB, {});
    expect(tuples.tuples.map((t) => t.key)).toEqual([expect.objectContaining({ user: 'user:bob', relation: 'viewer', object: 'doc:secret' })]);
  });
});
