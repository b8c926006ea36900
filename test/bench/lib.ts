import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const FLOOR_BODY = JSON.stringify({
  tuple_key: { user: 'user:anne', relation: 'viewer', object: 'document:budget' },
  authorization_model_id: '01HVMMBCMGZNT3SED4Z17ECXCA',
});

export interface LoadResult {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Alternative requests, cycled (e.g. different users per check). */
  requests?: { method?: string; path?: string; body?: string; headers?: Record<string, string> }[];
  seconds?: number;
  connections?: number;
}

/** Runs autocannon in this process against servers running in other processes. */
export async function load(name: string, o: LoadOptions): Promise<LoadResult> {
  const base = {
    url: o.url,
    method: o.method ?? 'GET',
    headers: { ...(o.body ? { 'content-type': 'application/json' } : {}), ...o.headers },
    body: o.body,
    connections: o.connections ?? 10,
    pipelining: 1,
  };
  // A short warm-up so JIT and caches are in steady state before measuring.
  await autocannon({ ...base, duration: 1, requests: o.requests as never });
  const r = await autocannon({ ...base, duration: o.seconds ?? 5, requests: o.requests as never });
  return {
    name,
    requestsPerSecond: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

export interface Spawned {
  proc: ChildProcess;
  lines: string[];
  stop(): Promise<void>;
}

/**
 * Spawns a TypeScript entry point with tsx and waits for a stdout line matching `ready`. The
 * child's stdout goes to a file, not a pipe into this process: reading a server's access log
 * here would steal CPU from the load generator and penalise the logging server.
 */
export async function spawnTs(entry: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<Spawned> {
  const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-out-'));
  const outFile = join(dir, 'stdout.log');
  const out = openSync(outFile, 'w');
  const proc = spawn(process.execPath, [tsx, entry, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', out, 'inherit'] });
  closeSync(out);
  let exited = false;
  proc.once('exit', () => (exited = true));
  let lines: string[] = [];
  for (;;) {
    lines = readFileSync(outFile, 'utf8').split('\n').slice(0, 1000);
    if (lines.some((l) => ready.test(l))) break;
    if (exited) throw new Error(`${entry} exited before it was ready`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    proc,
    lines,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (proc.exitCode !== null || proc.signalCode !== null) return done();
        proc.once('exit', done);
        proc.kill('SIGTERM');
      }),
  };
}

export async function startFloor(): Promise<Spawned & { url: string }> {
  const s = await spawnTs(fileURLToPath(new URL('./floor-server.ts', import.meta.url)), [], {}, /"url"/);
  return { ...s, url: JSON.parse(s.lines.find((l) => l.includes('"url"')) as string).url };
}

/**
 * Loads the floor and each subject in alternating rounds and keeps, per subject, the median of
 * the per-round ratios: on a shared machine the load changes from minute to minute, and a ratio
 * taken from neighbouring measurements is far steadier than one from separate runs.
 */
export async function compareToFloor(
  floor: LoadOptions,
  subjects: (LoadOptions & { name: string })[],
  rounds = 3,
): Promise<{ floor: LoadResult; results: LoadResult[] }> {
  const floors: LoadResult[] = [];
  const per = new Map<string, LoadResult[]>();
  for (let r = 0; r < rounds; r++) {
    floors.push(await load('floor', { seconds: 3, ...floor }));
    for (const sub of subjects) {
      const list = per.get(sub.name) ?? [];
      list.push(await load(sub.name, { seconds: 3, ...sub }));
      per.set(sub.name, list);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const floorRps = median(floors.map((f) => f.requestsPerSecond));
  const floorResult = { ...(floors[0] as LoadResult), name: 'floor', requestsPerSecond: floorRps };
  const results = subjects.map((sub) => {
    const runs = per.get(sub.name) as LoadResult[];
    const ratio = median(runs.map((run, i) => run.requestsPerSecond / (floors[i] as LoadResult).requestsPerSecond));
    return {
      name: sub.name,
      requestsPerSecond: ratio * floorRps,
      p50: median(runs.map((x) => x.p50)),
      p99: median(runs.map((x) => x.p99)),
      errors: runs.reduce((a, x) => a + x.errors, 0),
      non2xx: runs.reduce((a, x) => a + x.non2xx, 0),
    };
  });
  return { floor: floorResult, results };
}

export function report(floor: LoadResult, results: LoadResult[], targets: Record<string, number> = {}): boolean {
  const rows = [floor, ...results].map((r) => ({
    benchmark: r.name,
    'req/s': Math.round(r.requestsPerSecond),
    'p50 ms': r.p50,
    'p99 ms': r.p99,
    'ratio to floor': (r.requestsPerSecond / floor.requestsPerSecond).toFixed(2),
    target: targets[r.name] !== undefined ? `≥ ${targets[r.name]}×` : '',
    errors: r.errors + r.non2xx,
  }));
  console.table(rows);
  let ok = true;
  for (const r of results) {
    const t = targets[r.name];
    if (t !== undefined && r.requestsPerSecond / floor.requestsPerSecond < t) {
      console.log(`MISSED: ${r.name} is ${(r.requestsPerSecond / floor.requestsPerSecond).toFixed(2)}× the floor (target ${t}×)`);
      ok = false;
    }
    if (r.errors + r.non2xx > 0) {
      console.log(`ERRORS: ${r.name} had ${r.errors} errors and ${r.non2xx} non-2xx responses`);
      ok = false;
    }
  }
  return ok;
}
