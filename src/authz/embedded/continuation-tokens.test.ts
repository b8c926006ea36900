import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedAuthzEngine } from './engine.ts';
import { dslToModel } from '../model/dsl.ts';
import { embeddedEngine, storeWith, tk } from '../../../test/helpers/authz.ts';
import { tempDir } from '../../../test/helpers/harness.ts';
import { loadConfig } from '../../config/load.ts';
import { buildServices } from '../../services.ts';
import { systemActor } from '../../audit/events.ts';

const MODEL = 'model\n  schema 1.1\ntype user\ntype doc\n  relations\n    define viewer: [user]\n';

describe('embedded engine: continuation tokens', () => {
  const env = embeddedEngine();
  afterAll(() => env.close());
  const key = randomBytes(32);
  const engine = new EmbeddedAuthzEngine(env.storage, env.clock, { continuationKey: key });
  /** A second process of the same deployment: same database, same key. */
  const sibling = new EmbeddedAuthzEngine(env.storage, env.clock, { continuationKey: key });
  const stranger = new EmbeddedAuthzEngine(env.storage, env.clock, { continuationKey: randomBytes(32) });

  it("do not tell one tenant how much the others write: a changes token carries no readable position", async () => {
    const a = await storeWith(engine, MODEL, [tk('doc:1', 'viewer', 'user:anne')]);
    const before = (await engine.readChanges(a.storeId, {})).continuation_token;
    // Another tenant's store writes a thousand changes in between.
    const b = await storeWith(engine, MODEL);
    await engine.write(b.storeId, { writes: { tuple_keys: Array.from({ length: 100 }, (_, i) => tk(`doc:${i}`, 'viewer', 'user:bob')) } });
    const after = (await engine.readChanges(a.storeId, { continuation_token: before })).continuation_token;
    expect(after).toBe(before);
    await engine.write(a.storeId, { writes: { tuple_keys: [tk('doc:2', 'viewer', 'user:anne')] } });
    const next = (await engine.readChanges(a.storeId, { continuation_token: before })).continuation_token;
    for (const token of [before, next]) {
      const bytes = Buffer.from(token as string, 'base64url');
      expect(() => JSON.parse(bytes.toString('utf8'))).toThrow();
      expect(bytes.toString('latin1')).not.toMatch(/"p"|changes/);
    }
  });

  it('work in every process of the deployment, and only for the store and the kind they were issued for', async () => {
    const a = await storeWith(engine, MODEL, [tk('doc:1', 'viewer', 'user:anne'), tk('doc:2', 'viewer', 'user:anne'), tk('doc:3', 'viewer', 'user:anne')]);
    const b = await storeWith(engine, MODEL, [tk('doc:1', 'viewer', 'user:bob'), tk('doc:2', 'viewer', 'user:bob')]);
    const first = await engine.read(a.storeId, { page_size: 1 });
    const rest = await sibling.read(a.storeId, { page_size: 10, continuation_token: first.continuation_token });
    expect([...first.tuples, ...rest.tuples].map((t) => t.key.object)).toEqual(['doc:1', 'doc:2', 'doc:3']);
    const invalid = { code: 'invalid_continuation_token' };
    await expect(engine.read(b.storeId, { continuation_token: first.continuation_token })).rejects.toMatchObject(invalid);
    await expect(stranger.read(a.storeId, { continuation_token: first.continuation_token })).rejects.toMatchObject(invalid);
    await expect(engine.readChanges(a.storeId, { continuation_token: first.continuation_token })).rejects.toMatchObject(invalid);
    const flipped = Buffer.from(first.continuation_token, 'base64url');
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 1) ^ 1, flipped.length - 1);
    await expect(engine.read(a.storeId, { continuation_token: flipped.toString('base64url') })).rejects.toMatchObject(invalid);
    // The token format of earlier versions (readable JSON) is refused too.
    const readable = Buffer.from(JSON.stringify({ k: 'read', p: ['doc', '1', 'viewer', 'user', 'anne', ''] })).toString('base64url');
    await expect(engine.read(a.storeId, { continuation_token: readable })).rejects.toMatchObject(invalid);
  });

  it('page the model list too, bound to the store', async () => {
    const a = await storeWith(engine, MODEL);
    await engine.writeAuthorizationModel(a.storeId, dslToModel(MODEL));
    const page = await engine.readAuthorizationModels(a.storeId, { page_size: 1 });
    expect(page.continuation_token).not.toBe('');
    expect((await sibling.readAuthorizationModels(a.storeId, { page_size: 1, continuation_token: page.continuation_token })).authorization_models).toHaveLength(1);
    const b = await storeWith(engine, MODEL);
    await expect(engine.readAuthorizationModels(b.storeId, { continuation_token: page.continuation_token })).rejects.toMatchObject({ code: 'invalid_continuation_token' });
  });
});

describe('continuation tokens in a deployment', () => {
  it('are sealed under a key derived from the key-encryption key: another process of the same data directory continues them', async () => {
    const dir = tempDir('portcullis-tokens-');
    const config = loadConfig({}, { dataDir: dir, logLevel: 'silent' });
    const [one, two] = [buildServices(config), buildServices(config)];
    try {
      const tenant = await one.tenants.create({ name: 'Acme', slug: 'acme' }, systemActor());
      const store = tenant.authz_store_id;
      await one.authz.writeAuthorizationModel(store, dslToModel(MODEL));
      await one.authz.write(store, { writes: { tuple_keys: [tk('doc:1', 'viewer', 'user:anne'), tk('doc:2', 'viewer', 'user:anne')] } });
      const first = await one.authz.read(store, { page_size: 1 });
      const rest = await two.authz.read(store, { page_size: 1, continuation_token: first.continuation_token });
      expect([...first.tuples, ...rest.tuples].map((t) => t.key.object)).toEqual(['doc:1', 'doc:2']);
    } finally {
      await one.close();
      await two.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
