/**
 * Repeated neighbouring loads for tuning on a noisy machine: the floor, then each check kind on
 * Portcullis' embedded engine through HTTP, `BENCH_ROUNDS` times; prints each round's ratios
 * to its own floor and the medians. No OpenFGA server, no list-objects: `run.ts` is the
 * benchmark of record. Reuses a prepared data dir (BENCH_DATA_DIR) between invocations.
 * BENCH_CPU_PROF=dir writes CPU profiles of the Portcullis and floor processes there.
 *
 *   BENCH_DATA_DIR=/tmp/authz-bench BENCH_ROUNDS=5 BENCH_DURATION=4 npx tsx test/bench/authz/quick.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs, startChild, stopChild } from './children.ts';
import { generate, type CheckQuery } from './dataset.ts';
import { load, type LoadResult, type Target } from './load.ts';
import { prepareEmbeddedData } from './prepared.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const DIR = process.env.BENCH_DATA_DIR ?? '/tmp/portcullis-authz-micro';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const options = { connections: Number(process.env.BENCH_CONNECTIONS ?? 10), duration: Number(process.env.BENCH_DURATION ?? 4) };
const KINDS = (process.env.BENCH_KINDS ?? 'direct,nestedAllowed,nestedDenied').split(',') as ('direct' | 'nestedAllowed' | 'nestedDenied')[];
const work = mkdtempSync(join(tmpdir(), 'portcullis-quick-'));

const data = generate(SCALE);
const prepared = await prepareEmbeddedData(DIR, SCALE, data);
const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
const portcullis = await startChild<{ url: string; pid: number }>('./portcullis-server.ts', [], { PORTCULLIS_DATA_DIR: prepared.dataDir }, profile);
const floor = await startChild<{ url: string; pid: number }>('./floor-server.ts', [], {}, profile);
const body = (q: CheckQuery) => ({ tuple_key: { user: q.user, relation: 'viewer', object: q.object } });
const target: Target = { name: 'embedded', url: portcullis.first.url, storeId: prepared.storeId, headers: { authorization: `Bearer ${prepared.key}` } };
const floorTarget: Target = { name: 'floor', url: floor.first.url, storeId: prepared.storeId, headers: {} };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ratios = new Map<string, number[]>();
const p99s = new Map<string, number[]>();
const floors: number[] = [];
const cpus = new Map<string, number[]>();
const show = (r: LoadResult, cpu: number) =>
  `${Math.round(r.rps)} req/s p50 ${r.p50} p99 ${r.p99}, ${cpu.toFixed(1)} µs CPU/req${r.non2xx + r.errors ? ` (${r.non2xx + r.errors} failed)` : ''}`;
/** Runs a load and returns it with the server's CPU time per request (µs): steadier than req/s on a shared machine. */
async function measured(pid: number, t: Target, bodies: unknown[]): Promise<[LoadResult, number]> {
  const before = cpuMs(pid);
  const r = await load(work, t, 'check', bodies, options);
  return [r, ((cpuMs(pid) - before) * 1000) / Math.max(1, r.total)];
}
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const [f, fcpu] = await measured(floor.first.pid, floorTarget, data.direct.map(body));
    floors.push(f.rps);
    cpus.set('floor', [...(cpus.get('floor') ?? []), fcpu]);
    process.stderr.write(`round ${round}: floor ${show(f, fcpu)}\n`);
    for (const kind of KINDS) {
      const [r, cpu] = await measured(portcullis.first.pid, target, data[kind].map(body));
      ratios.set(kind, [...(ratios.get(kind) ?? []), r.rps / f.rps]);
      p99s.set(kind, [...(p99s.get(kind) ?? []), r.p99]);
      cpus.set(kind, [...(cpus.get(kind) ?? []), cpu]);
      process.stderr.write(`round ${round}: ${kind} ${show(r, cpu)} = ${(r.rps / f.rps).toFixed(2)}× floor\n`);
    }
  }
  process.stdout.write(`median floor ${Math.round(median(floors))} req/s, ${median(cpus.get('floor') as number[]).toFixed(1)} µs CPU/req over ${ROUNDS} rounds\n`);
  for (const kind of KINDS) {
    const rs = ratios.get(kind) as number[];
    process.stdout.write(`${kind}: median ${median(rs).toFixed(2)}× floor (${rs.map((x) => x.toFixed(2)).join(', ')}), median p99 ${median(p99s.get(kind) as number[])} ms, median ${median(cpus.get(kind) as number[]).toFixed(1)} µs CPU/req\n`);
  }
} finally {
  await stopChild(portcullis.child);
  await stopChild(floor.child);
  rmSync(work, { recursive: true, force: true });
}
