import { rmSync } from 'node:fs';
import { systemActor } from '../../../../src/audit/events.ts';
import { loadConfig } from '../../../../src/config/load.ts';
import type { SettingKey } from '../../../../src/config/schema.ts';
import { startServer } from '../../../../src/server.ts';
import { buildServices } from '../../../../src/services.ts';
import { tempDir } from '../../../helpers/harness.ts';
import type { ConformanceTarget } from '../target.ts';
import { sdkTarget } from './openfga-sdk.ts';

/**
 * Targets (b) and (c): a real Portcullis HTTP server on a free loopback port (over a temp data
 * dir), reached through `@openfga/sdk` with a platform API key. Each test's `createStore` goes
 * through `POST /stores`, so it creates a tenant. Rate limits are lifted: the suite is one
 * client sending thousands of requests.
 */
export async function portcullisTarget(name: string, settings: Partial<Record<SettingKey, unknown>> = {}): Promise<ConformanceTarget> {
  const dir = tempDir('portcullis-conformance-');
  const services = buildServices(
    loadConfig({}, { dataDir: dir, port: 0, logLevel: 'silent', rateLimitBurst: 1_000_000, rateLimitPerSecond: 1_000_000, ...settings }),
  );
  const key = services.apiKeys.createPlatformKey({ name: 'conformance' }, systemActor()).key;
  const server = await startServer(services);
  return {
    ...sdkTarget(name, server.url, { apiToken: key }),
    async close() {
      await server.close();
      await services.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
