/**
 * The Portcullis side of `npm run bench:oidc`: a real server over a temp data dir with one
 * tenant and one client-credentials app. Prints one JSON line ({url, client_id, client_secret})
 * and serves until killed.
 */
import { rmSync } from 'node:fs';
import { loadConfig } from '../../../src/config/load.ts';
import { buildServices } from '../../../src/services.ts';
import { startServer } from '../../../src/server.ts';
import { systemActor } from '../../../src/audit/events.ts';
import { tempDir } from '../../helpers/harness.ts';
import { freePort } from '../../helpers/sso-env.ts';

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const dataDir = tempDir('portcullis-bench-');
const s = buildServices(loadConfig({}, {
  dataDir, port, baseUrl: base, logLevel: 'silent', rateLimitBurst: 1_000_000, rateLimitPerSecond: 1_000_000,
  // One load generator, one address: budgets it never exhausts, still metered as in production.
  oidcAppBudgetMsPerSecond: 1e9, oidcAppBudgetBurstMs: 1e9, signInBudgetMsPerSecond: 1e9, signInBudgetBurstMs: 1e9,
}));
const tenant = await s.tenants.create({ name: 'Bench', slug: 'bench' }, systemActor());
const app = s.sso.apps.create(tenant.id, { name: 'bench', grant_types: ['client_credentials'], authz_scopes: ['authz:read'] }, systemActor());
await startServer(s);
process.stdout.write(JSON.stringify({ url: base, client_id: app.app.id, client_secret: app.client_secret }) + '\n');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    s.storage.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}
