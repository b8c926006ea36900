import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { buildServices } from '../../src/services.ts';
import { OPENFGA_MISSING_REASON, requireOpenFgaBinary } from '../helpers/openfga-server.ts';
import { tempDir } from '../helpers/harness.ts';
import { authzHarness } from './backends.ts';

const bin = requireOpenFgaBinary();

describe('choosing the authorization backend', () => {
  it('refuses to boot the openfga backend without PORTCULLIS_OPENFGA_URL, naming the setting', async () => {
    const config = loadConfig({ PORTCULLIS_AUTHZ: 'openfga', PORTCULLIS_DATA_DIR: tempDir() });
    expect(() => buildServices(config)).toThrow(ConfigError);
    expect(() => buildServices(config)).toThrow(/PORTCULLIS_OPENFGA_URL/);
    let stderr = '';
    const code = await runCli(['tenant', 'list'], { stdout: () => {}, stderr: (t) => void (stderr += t), env: { PORTCULLIS_AUTHZ: 'openfga', PORTCULLIS_DATA_DIR: tempDir() } });
    expect(code).toBe(2);
    expect(stderr).toMatch(/PORTCULLIS_OPENFGA_URL: is required when PORTCULLIS_AUTHZ=openfga/);
  });

  it('rejects an unknown backend name', () => {
    expect(() => loadConfig({ PORTCULLIS_AUTHZ: 'zanzibar' })).toThrow(/PORTCULLIS_AUTHZ/);
  });

  it('exposes authorization metrics on /metrics', async () => {
    const { h, stop } = await authzHarness('embedded');
    try {
      const t = await h.createTenant('Metrics');
      await h.json('POST', `/stores/${t.authz_store_id}/check`, { body: { tuple_key: { user: 'user:a', relation: 'member', object: 'group:g' } } });
      const text = await (await h.request('GET', '/metrics', { key: null })).text();
      expect(text).toMatch(/portcullis_authz_operation_duration_seconds_count\{operation="check",backend="embedded",outcome="ok"\} 1/);
      expect(text).toMatch(/portcullis_authz_check_decisions_total\{allowed="false"\} 1/);
    } finally {
      await stop();
    }
  });
});

describe.skipIf(!bin)(`the openfga backend's readiness (skipped when ${OPENFGA_MISSING_REASON})`, () => {
  it('reports the OpenFGA server on /readyz', async () => {
    const { h, stop } = await authzHarness('openfga');
    try {
      const res = await h.json('GET', '/readyz', { key: null });
      expect(res.status).toBe(200);
      expect(res.body.checks).toMatchObject({ database: 'ok', openfga: 'ok' });
    } finally {
      await stop();
    }
  });

  it('reports not ready, and answers 503 unavailable, when the server is gone', async () => {
    const { h, stop } = await authzHarness('openfga', { overrides: { openfgaUrl: 'http://127.0.0.1:9' } });
    try {
      expect((await h.json('GET', '/readyz', { key: null })).status).toBe(503);
      const created = await h.json('POST', '/stores', { body: { name: 'no server' } });
      expect(created.status).toBe(503);
      expect(created.body.code).toBe('unavailable');
    } finally {
      await stop();
    }
  });
});
