/**
 * What each layer of the check path costs: the server's CPU time per request (user + system, from
 * /proc) under the same autocannon load, for each prefix of `layers-server.ts`, `BENCH_ROUNDS`
 * times, medians printed. CPU per request is steadier than req/s on a shared machine, and the
 * differences between neighbouring layers are what each layer adds.
 *
 *   BENCH_DATA_DIR=/tmp/authz-bench BENCH_KIND=direct npx tsx test/bench/authz/layers.ts [floor,context,...]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs, startChild, stopChild } from './children.ts';
import { generate, type CheckQuery } from './dataset.ts';
import { load } from './load.ts';
import { prepareEmbeddedData } from './prepared.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const DIR = process.env.BENCH_DATA_DIR ?? '/tmp/portcullis-authz-micro';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KIND = (process.env.BENCH_KIND ?? 'direct') as 'direct' | 'nestedAllowed' | 'nestedDenied';
const LAYERS = (process.argv[2] ?? 'floor,context,auth,access,engine,stack,app').split(',');
const options = { connections: Number(process.env.BENCH_CONNECTIONS ?? 10), duration: Number(process.env.BENCH_DURATION ?? 4) };
const work = mkdtempSync(join(tmpdir(), 'portcullis-layers-'));

const data = generate(SCALE);
const prepared = await prepareEmbeddedData(DIR, SCALE, data);
const server = await startChild<{ url: string; pid: number }>('./layers-server.ts', [], { PORTCULLIS_DATA_DIR: prepared.dataDir });
const bodies = data[KIND].map((q: CheckQuery) => ({ tuple_key: { user: q.user, relation: 'viewer', object: q.object } }));
const cpu = new Map<string, number[]>();
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const layer of LAYERS) {
      const before = cpuMs(server.first.pid);
      const target = { name: layer, url: `${server.first.url}/${layer}`, storeId: prepared.storeId, headers: { authorization: `Bearer ${prepared.key}` } };
      const r = await load(work, target, 'check', bodies, options);
      const us = ((cpuMs(server.first.pid) - before) * 1000) / Math.max(1, r.total);
      cpu.set(layer, [...(cpu.get(layer) ?? []), us]);
      process.stderr.write(`round ${round}: ${layer} ${Math.round(r.rps)} req/s, ${us.toFixed(1)} µs CPU/req${r.non2xx + r.errors ? ` (${r.non2xx + r.errors} failed)` : ''}\n`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  for (const layer of LAYERS) process.stdout.write(`${layer.padEnd(8)} median ${median(cpu.get(layer) as number[]).toFixed(1)} µs CPU/request (${KIND})\n`);
} finally {
  await stopChild(server.child);
  rmSync(work, { recursive: true, force: true });
}
