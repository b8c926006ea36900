import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialsMethod, FgaApiNotFoundError, OpenFgaClient, type AuthorizationModel } from '@openfga/sdk';
import { rmSync } from 'node:fs';
import { systemActor } from '../../src/audit/events.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { buildServices, type Services } from '../../src/services.ts';
import { tempDir } from '../helpers/harness.ts';
import { OpenFgaServer, requireOpenFgaBinary } from '../helpers/openfga-server.ts';
import { BACKENDS } from './backends.ts';
import { FIXTURE_MODEL } from './routes-table.ts';

const bin = requireOpenFgaBinary();

/** Every client method an application uses, through @openfga/sdk against a real Portcullis HTTP server. */
describe.each(BACKENDS)('@openfga/sdk against Portcullis, unchanged (%s backend)', (backend) => {
  let dir: string;
  let s: Services;
  let server: RunningServer;
  let openfga: OpenFgaServer | undefined;
  let fga: OpenFgaClient;
  let platformKey: string;

  beforeAll(async () => {
    dir = tempDir();
    if (backend === 'openfga') openfga = await OpenFgaServer.start(bin as string);
    s = buildServices(loadConfig({}, { dataDir: dir, port: 0, logLevel: 'silent', ...(openfga ? { authz: 'openfga', openfgaUrl: openfga.url } : {}) }));
    server = await startServer(s);
    platformKey = s.apiKeys.createPlatformKey({ name: 'sdk' }, systemActor()).key;
    const admin = new OpenFgaClient({ apiUrl: server.url, credentials: { method: CredentialsMethod.ApiToken, config: { token: platformKey } } });
    const store = await admin.createStore({ name: 'SDK Co' });
    fga = new OpenFgaClient({ apiUrl: server.url, storeId: store.id, credentials: { method: CredentialsMethod.ApiToken, config: { token: platformKey } } });
  });
  afterAll(async () => {
    await server.close();
    await s.close();
    await openfga?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a store that is a tenant, with the default model', async () => {
    const store = await fga.getStore();
    expect(store.name).toBe('SDK Co');
    expect(s.storage.unscoped.tenants.findByStoreId(store.id)?.name).toBe('SDK Co');
    const latest = await fga.readLatestAuthorizationModel();
    expect(latest.authorization_model?.type_definitions.map((t) => t.type)).toEqual(['user', 'group', 'organization']);
    const listed = await fga.listStores();
    expect(listed.stores.map((x) => x.id)).toContain(store.id);
  });

  it('writes a model and tuples, then answers every query', async () => {
    const { authorization_model_id: modelId } = await fga.writeAuthorizationModel(FIXTURE_MODEL as AuthorizationModel);
    const opts = { authorizationModelId: modelId };
    await fga.write({ writes: [{ user: 'user:anne', relation: 'viewer', object: 'doc:1' }, { user: 'user:bob', relation: 'viewer', object: 'doc:2' }] }, opts);
    await fga.write({ deletes: [{ user: 'user:bob', relation: 'viewer', object: 'doc:2' }] }, opts);

    expect((await fga.check({ user: 'user:anne', relation: 'viewer', object: 'doc:1' }, opts)).allowed).toBe(true);
    const batch = await fga.batchCheck(
      { checks: [{ user: 'user:anne', relation: 'viewer', object: 'doc:1', correlationId: 'a' }, { user: 'user:bob', relation: 'viewer', object: 'doc:2', correlationId: 'b' }] },
      opts,
    );
    expect(Object.fromEntries(batch.result.map((r) => [r.correlationId, r.allowed]))).toEqual({ a: true, b: false });
    expect((await fga.listObjects({ user: 'user:anne', relation: 'viewer', type: 'doc' }, opts)).objects).toEqual(['doc:1']);
    const streamed: string[] = [];
    for await (const r of fga.streamedListObjects({ user: 'user:anne', relation: 'viewer', type: 'doc' }, opts)) streamed.push(r.object);
    expect(streamed).toEqual(['doc:1']);
    expect((await fga.listUsers({ object: { type: 'doc', id: '1' }, relation: 'viewer', user_filters: [{ type: 'user' }] }, opts)).users).toEqual([
      { object: { type: 'user', id: 'anne' } },
    ]);
    const tree = await fga.expand({ relation: 'viewer', object: 'doc:1' }, opts);
    expect(JSON.stringify(tree.tree)).toContain('user:anne');
    expect((await fga.read({ object: 'doc:1' })).tuples.map((t) => t.key.user)).toEqual(['user:anne']);
    const changes = await fga.readChanges({ type: 'doc' });
    expect(changes.changes.map((c) => c.operation)).toEqual(['TUPLE_OPERATION_WRITE', 'TUPLE_OPERATION_WRITE', 'TUPLE_OPERATION_DELETE']);
    expect((await fga.readAuthorizationModels()).authorization_models).toHaveLength(2);

    await fga.writeAssertions([{ user: 'user:anne', relation: 'viewer', object: 'doc:1', expectation: true }], opts);
    expect((await fga.readAssertions(opts)).assertions?.[0]).toMatchObject({ tuple_key: { user: 'user:anne' }, expectation: true });
  });

  it('surfaces OpenFGA errors as the SDK error classes', async () => {
    const missing = new OpenFgaClient({ apiUrl: server.url, storeId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', credentials: { method: CredentialsMethod.ApiToken, config: { token: platformKey } } });
    await expect(missing.getStore()).rejects.toBeInstanceOf(FgaApiNotFoundError);
    await expect(fga.check({ user: 'user:anne', relation: 'nope', object: 'doc:1' })).rejects.toMatchObject({ statusCode: 400, apiErrorCode: 'validation_error' });
  });

  it('deletes the store (and its tenant)', async () => {
    const id = (await fga.getStore()).id;
    await fga.deleteStore();
    await expect(fga.getStore()).rejects.toBeInstanceOf(FgaApiNotFoundError);
    expect(s.storage.unscoped.tenants.findByStoreId(id)).toBeUndefined();
  });
});
