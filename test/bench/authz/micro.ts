/**
 * In-process micro-benchmark of the check path, for profiling (`node --cpu-prof --import tsx`):
 * the embedded engine's `check`, the same through `app.request()` on the full /stores stack, and
 * a bare Hono route (the floor's handler) through `app.request()`. `app.request()` builds a full
 * undici Request, which a real server does not: use it to compare layers, not as a rate; for
 * rates over HTTP see quick.ts and layers.ts. Prepares the benchmark data once into
 * BENCH_DATA_DIR (kept between runs) so repeated runs skip the load.
 *
 *   BENCH_DATA_DIR=/tmp/authz-bench npx tsx test/bench/authz/micro.ts [engine|app|floor|all] [direct|nested|nested denied]
 */
import { Hono } from 'hono';
import { loadConfig } from '../../../src/config/load.ts';
import { buildServices } from '../../../src/services.ts';
import { createApp } from '../../../src/app.ts';
import { generate, type CheckQuery } from './dataset.ts';
import { prepareEmbeddedData } from './prepared.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const DIR = process.env.BENCH_DATA_DIR ?? '/tmp/portcullis-authz-micro';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const what = process.argv[2] ?? 'all';
const only = process.argv[3];

const config = () => loadConfig(process.env, { dataDir: DIR, logLevel: 'warn', rateLimitBurst: 1e9, rateLimitPerSecond: 1e9 });
const data = generate(SCALE);

async function time(label: string, queries: CheckQuery[], run: (q: CheckQuery) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 2000; i++) await run(queries[i % queries.length] as CheckQuery);
  let n = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) await run(queries[n++ % queries.length] as CheckQuery);
  }
  const us = ((performance.now() - t0) * 1000) / n;
  process.stdout.write(`${label.padEnd(34)} ${us.toFixed(2).padStart(8)} µs/op  ${Math.round(1e6 / us)} op/s\n`);
}

const prepared = await prepareEmbeddedData(DIR, SCALE, data);
const s = buildServices(config());
const app = createApp(s);
const headers = { authorization: `Bearer ${prepared.key}`, 'content-type': 'application/json' };
const path = `/stores/${prepared.storeId}/check`;
const body = (q: CheckQuery) => ({ tuple_key: { user: q.user, relation: 'viewer', object: q.object } });
const sets = ([['direct', data.direct], ['nested allowed', data.nestedAllowed], ['nested denied', data.nestedDenied]] as [string, CheckQuery[]][])
  .filter(([name]) => !only || name.startsWith(only));

if (what === 'all' || what === 'engine') {
  for (const [name, qs] of sets) await time(`engine.check ${name}`, qs, (q) => s.authz.check(prepared.storeId, body(q)));
}
if (what === 'all' || what === 'app') {
  for (const [name, qs] of sets) {
    await time(`app.request check ${name}`, qs, async (q) => {
      const res = await app.request(path, { method: 'POST', headers, body: JSON.stringify(body(q)) });
      const json = (await res.json()) as { allowed?: boolean };
      if (json.allowed !== q.expected) throw new Error(`${q.user} ${q.object}: ${JSON.stringify(json)}`);
    });
  }
}
if (what === 'all' || what === 'floor') {
  const floor = new Hono();
  floor.post('/stores/:store_id/check', async (c) => {
    const b = await c.req.json<{ tuple_key?: { user?: string } }>();
    if (!b.tuple_key?.user) return c.json({ code: 'validation_error', message: 'tuple_key required' }, 400);
    return c.json({ allowed: true });
  });
  await time('floor app.request', data.direct, async (q) => {
    const res = await floor.request(path, { method: 'POST', headers, body: JSON.stringify(body(q)) });
    await res.json();
  });
}
await s.close();
