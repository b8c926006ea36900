import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { runCli } from '../../src/cli/run.ts';
import { loadConfig } from '../../src/config/load.ts';
import { buildServices } from '../../src/services.ts';
import { tempDir } from '../helpers/harness.ts';
import { OpenFgaServer, requireOpenFgaBinary } from '../helpers/openfga-server.ts';
import { BACKENDS } from './backends.ts';

const bin = requireOpenFgaBinary();

async function cli(args: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env });
  return { code, stdout, stderr };
}

describe.each(BACKENDS)('portcullis check (%s backend)', (backend) => {
  let env: Record<string, string>;
  let server: OpenFgaServer | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir();
    env = { PORTCULLIS_DATA_DIR: dir };
    if (backend === 'openfga') {
      server = await OpenFgaServer.start(bin as string);
      env = { ...env, PORTCULLIS_AUTHZ: 'openfga', PORTCULLIS_OPENFGA_URL: server.url };
    }
    const created = await cli(['tenant', 'create', '--name', 'Acme', '--slug', 'acme', '--json'], env);
    expect(created.code).toBe(0);
    const storeId = JSON.parse(created.stdout).authz_store_id as string;
    const s = buildServices(loadConfig(env, { logLevel: 'silent' }));
    try {
      await s.authz.write(storeId, { writes: { tuple_keys: [{ user: 'user:anne', relation: 'member', object: 'group:eng' }] } });
    } finally {
      await s.close();
    }
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const check = (...extra: string[]) => ['check', '--tenant', 'acme', '--relation', 'member', '--object', 'group:eng', ...extra];

  it('prints {"allowed":true} and exits 0 for a granted relation', async () => {
    const res = await cli(check('--user', 'user:anne', '--json'), env);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(res.stdout)).toEqual({ allowed: true });
  });

  it('prints {"allowed":false} and still exits 0 for a denied one', async () => {
    const res = await cli(check('--user', 'user:bob', '--json'), env);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ allowed: false });
    expect((await cli(check('--user', 'user:bob'), env)).stdout).toMatch(/^denied: user:bob member group:eng/);
  });

  it('fails with exit 1 and a clear message for an unknown tenant or relation', async () => {
    const tenant = await cli(['check', '--tenant', 'nope', '--user', 'user:a', '--relation', 'member', '--object', 'group:eng', '--json'], env);
    expect(tenant.code).toBe(1);
    expect(JSON.parse(tenant.stdout).error.code).toBe('not_found');
    const relation = await cli(['check', '--tenant', 'acme', '--user', 'user:a', '--relation', 'boss', '--object', 'group:eng'], env);
    expect(relation.code).toBe(1);
    expect(relation.stderr).toMatch(/boss.*validation_error|validation_error/s);
  });

  it('fails with exit 2 on bad usage', async () => {
    const missing = await cli(['check', '--tenant', 'acme', '--relation', 'member', '--object', 'group:eng'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--user is required/);
    const context = await cli(check('--user', 'user:anne', '--context', '[1'), env);
    expect(context.code).toBe(2);
    expect(context.stderr).toMatch(/--context must be a JSON object/);
  });
});
