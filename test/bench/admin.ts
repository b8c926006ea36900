/**
 * `npm run bench`: the floor and an authenticated admin GET, each loaded by autocannon from this
 * process against a server in another process. Target: the admin GET ≥ 0.5× the floor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLOOR_BODY, compareToFloor, report, spawnTs, startFloor } from './lib.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
const floor = await startFloor();
const server = await spawnTs(
  fileURLToPath(new URL('../../bin/portcullis.ts', import.meta.url)),
  ['serve', '--data-dir', dataDir],
  // Default log level (info): one access-log line per request, as in production.
  { PORTCULLIS_PORT: '0', PORTCULLIS_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', PORTCULLIS_RATE_LIMIT_BURST: '100000000', PORTCULLIS_RATE_LIMIT_PER_SECOND: '100000000' },
  /^Listening on /,
);
try {
  const key = (server.lines.find((l) => /ptc_key_/.test(l)) as string).trim();
  const url = (server.lines.find((l) => l.startsWith('Listening on ')) as string).slice('Listening on '.length);
  const created = await fetch(`${url}/admin/v1/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bench Co' }),
  });
  const tenant = (await created.json()) as { id: string };
  const tenantKey = (await (
    await fetch(`${url}/admin/v1/tenants/${tenant.id}/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', scopes: ['admin'] }),
    })
  ).json()) as { key: string };

  const name = 'admin GET /tenants/{t} (tenant key)';
  const { floor: floorResult, results } = await compareToFloor({ url: `${floor.url}/floor`, method: 'POST', body: FLOOR_BODY }, [
    { name, url: `${url}/admin/v1/tenants/${tenant.id}`, headers: { authorization: `Bearer ${tenantKey.key}` } },
  ]);
  const ok = report(floorResult, results, { [name]: 0.5 });
  process.exitCode = ok ? 0 : 1;
} finally {
  await server.stop();
  await floor.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

