/**
 * `npm run bench:authz`: authorization throughput and latency, as ratios to a floor measured in
 * the same run. See docs/authz.md ("Benchmark") for what it measures and the knobs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenFgaApi, type TupleKey } from '@openfga/sdk';
import { loadConfig } from '../../../src/config/load.ts';
import { buildServices } from '../../../src/services.ts';
import { systemActor } from '../../../src/audit/events.ts';
import { EmbeddedAuthzEngine } from '../../../src/authz/embedded/engine.ts';
import type { DelegatingEngine } from '../../../src/authz/wrappers/delegating.ts';
import { OpenFgaServer, findOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { BENCH_MODEL, generate, type CheckQuery } from './dataset.ts';
import { rssMiB, startChild, stopChild } from './children.ts';
import { load as runLoad, type LoadResult, type Target } from './load.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const SAMPLE = Number(process.env.BENCH_COMPARE ?? 200);
/** Neighbouring floor / direct-check loads for the 0.8× target (the machine's load drifts between loads). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Tuples per Write while loading the OpenFGA server (it is started with this `--max-tuples-per-write`). */
const OPENFGA_LOAD_BATCH = 1000;
/** OpenFGA's own SQLite datastore by default (indexed, like the embedded engine's); `memory` is a test double. */
const OPENFGA_DATASTORE = process.env.BENCH_OPENFGA_DATASTORE ?? 'sqlite';
const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const ms = (t0: number) => Math.round(performance.now() - t0);

async function post(t: Target, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${t.url}/stores/${t.storeId}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...t.headers },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${t.name} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const load = (t: Target, path: string, bodies: unknown[]) => runLoad(work, t, path, bodies, { connections: CONNECTIONS, duration: DURATION });

async function prepareEmbedded(tuples: TupleKey[]): Promise<{ dataDir: string; storeId: string; key: string }> {
  const dataDir = join(work, 'portcullis');
  const s = buildServices(loadConfig(process.env, { dataDir, logLevel: 'silent' }));
  try {
    const tenant = await s.tenants.create({ name: 'bench' }, systemActor());
    // Below the audit decorator: a bulk load is not 10 000 audited API writes.
    const raw = (s.authz.inner as DelegatingEngine).inner;
    await raw.writeAuthorizationModel(tenant.authz_store_id, BENCH_MODEL);
    const t0 = performance.now();
    const batch = raw instanceof EmbeddedAuthzEngine ? 20_000 : 100;
    for (let i = 0; i < tuples.length; i += batch) {
      const body = { writes: { tuple_keys: tuples.slice(i, i + batch) } };
      if (raw instanceof EmbeddedAuthzEngine) raw.writeSync(tenant.authz_store_id, body, batch);
      else await raw.write(tenant.authz_store_id, body);
    }
    log(`embedded: loaded ${tuples.length} tuples in ${ms(t0)} ms`);
    const key = s.apiKeys.createPlatformKey({ name: 'bench' }, systemActor()).key;
    return { dataDir, storeId: tenant.authz_store_id, key };
  } finally {
    await s.close();
  }
}

async function prepareOpenFga(url: string, tuples: TupleKey[]): Promise<string> {
  const api = new OpenFgaApi({ apiUrl: url });
  const store = await api.createStore({ name: 'bench' });
  await api.writeAuthorizationModel(store.id, BENCH_MODEL);
  const t0 = performance.now();
  let next = 0;
  const n = OPENFGA_LOAD_BATCH;
  const worker = async () => {
    for (let i = (next += n) - n; i < tuples.length; i = (next += n) - n) {
      await api.write(store.id, { writes: { tuple_keys: tuples.slice(i, i + n) } });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  log(`openfga: loaded ${tuples.length} tuples in ${ms(t0)} ms`);
  return store.id;
}

const checkBody = (q: CheckQuery) => ({ tuple_key: { user: q.user, relation: 'viewer', object: q.object } });

async function compareDecisions(targets: Target[], sets: Record<string, CheckQuery[]>, listUsers: string[]): Promise<string[]> {
  const mismatches: string[] = [];
  const jobs = Object.entries(sets).flatMap(([kind, queries]) => queries.slice(0, SAMPLE).flatMap((q) => targets.map((t) => ({ kind, q, t }))));
  await inParallel(jobs, 8, async ({ kind, q, t }) => {
    const { allowed } = await post(t, 'check', checkBody(q));
    if (allowed !== q.expected) mismatches.push(`${t.name} ${kind} ${q.user} ${q.object}: ${allowed}, expected ${q.expected}`);
  });
  for (const user of listUsers.slice(0, 10)) {
    const answers = await Promise.all(targets.map((t) => post(t, 'list-objects', { type: 'folder', relation: 'viewer', user })));
    const sets = answers.map((a) => JSON.stringify([...a.objects].sort()));
    if (new Set(sets).size > 1) mismatches.push(`list-objects folder viewer ${user} differs between ${targets.map((t) => t.name).join(' and ')}`);
  }
  return mismatches;
}

async function inParallel<T>(items: T[], width: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await run(items[next++] as T);
  }));
}

async function timeHeavyList(t: Target, user: string, expected: number): Promise<{ ms: number; count: number }> {
  const times: number[] = [];
  let count = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const res = await post(t, 'list-objects', { type: 'document', relation: 'viewer', user });
    times.push(performance.now() - t0);
    count = res.objects.length;
  }
  if (count !== expected) log(`${t.name}: heavy list-objects returned ${count}, expected ${expected}`);
  return { ms: Math.round(times.sort((a, b) => a - b)[1]!), count };
}

const cleanups: (() => Promise<unknown>)[] = [];

async function main() {
  log(`scale ${SCALE}, ${DURATION}s per load, ${CONNECTIONS} connections`);
  const t0 = performance.now();
  const data = generate(SCALE);
  log(`generated ${data.tuples.length} tuples in ${ms(t0)} ms`);

  const embedded = await prepareEmbedded(data.tuples);
  const portcullis = await startChild<{ url: string; pid: number }>('./portcullis-server.ts', [], { PORTCULLIS_DATA_DIR: embedded.dataDir });
  cleanups.push(() => stopChild(portcullis.child));
  // The same server with its decision cache off: what a Check costs when it is not a repeat.
  const uncachedServer = await startChild<{ url: string; pid: number }>('./portcullis-server.ts', [], { PORTCULLIS_DATA_DIR: embedded.dataDir, PORTCULLIS_AUTHZ_DECISION_CACHE_SIZE: '0' });
  cleanups.push(() => stopChild(uncachedServer.child));
  const uncached: Target = { name: 'embedded, decision cache off', url: uncachedServer.first.url, storeId: embedded.storeId, headers: { authorization: `Bearer ${embedded.key}` } };
  const floor = await startChild<{ url: string }>('./floor-server.ts');
  cleanups.push(() => stopChild(floor.child));
  const targets: Target[] = [
    { name: 'embedded (Portcullis HTTP)', url: portcullis.first.url, storeId: embedded.storeId, headers: { authorization: `Bearer ${embedded.key}` } },
  ];
  const bin = findOpenFgaBinary();
  let openfga: OpenFgaServer | undefined;
  if (bin) {
    const datastore = ['--datastore-engine', OPENFGA_DATASTORE];
    if (OPENFGA_DATASTORE === 'sqlite') {
      datastore.push('--datastore-uri', `file:${join(work, 'openfga.db')}`);
      const migrated = spawnSync(bin, ['migrate', ...datastore], { encoding: 'utf8' });
      if (migrated.status !== 0) throw new Error(`openfga migrate failed: ${migrated.stderr}`);
    }
    openfga = await OpenFgaServer.start(bin, { args: [...datastore, '--listObjects-max-results', '0', '--listObjects-deadline', '20s', '--request-timeout', '30s', '--max-tuples-per-write', String(OPENFGA_LOAD_BATCH), '--log-level', 'error'] });
    const server = openfga;
    cleanups.push(() => server.stop());
    targets.push({ name: `OpenFGA server (${OPENFGA_DATASTORE})`, url: openfga.url, storeId: await prepareOpenFga(openfga.url, data.tuples), headers: {} });
  } else {
    log('OpenFGA binary not found: comparing against the floor only');
  }
  data.tuples.length = 0;

  const mismatches = await compareDecisions([...targets, uncached], { direct: data.direct, nestedAllowed: data.nestedAllowed, nestedDenied: data.nestedDenied }, data.listUsers);
  const heavy = await Promise.all(targets.map((t) => timeHeavyList(t, data.heavyUser, data.heavyCount)));

  const floorTarget: Target = { name: 'floor', url: floor.first.url, storeId: embedded.storeId, headers: {} };
  const floorResult = await load(floorTarget, 'check', data.direct.map(checkBody));
  const scenarios: [string, string, unknown[]][] = [
    ['direct check', 'check', data.direct.map(checkBody)],
    ['nested check (allowed)', 'check', data.nestedAllowed.map(checkBody)],
    ['nested check (denied)', 'check', data.nestedDenied.map(checkBody)],
    ['list-objects (folders)', 'list-objects', data.listUsers.map((user) => ({ type: 'folder', relation: 'viewer', user }))],
  ];
  const results: { scenario: string; target: string; r: LoadResult }[] = [];
  for (const [scenario, path, bodies] of scenarios) {
    for (const t of path === 'check' ? [targets[0] as Target, uncached, ...targets.slice(1)] : targets) {
      log(`${scenario} on ${t.name}`);
      results.push({ scenario, target: t.name, r: await load(t, path, bodies) });
    }
  }
  const rss = rssMiB(portcullis.first.pid);
  // The floor measured once drifts with the shared machine's load over the run: for the direct
  // check target, floor and direct check also run side by side in rounds, the first of each pair
  // alternating, and the median round's ratio is the figure (as bench:oidc does for SAML).
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    log(`round ${r + 1}/${ROUNDS}: floor and direct check side by side`);
    const pair = r % 2 === 0 ? [floorTarget, targets[0] as Target] : [targets[0] as Target, floorTarget];
    const [a, b] = [await load(pair[0] as Target, 'check', data.direct.map(checkBody)), await load(pair[1] as Target, 'check', data.direct.map(checkBody))];
    const [f, d] = pair[0] === floorTarget ? [a, b] : [b, a];
    rounds.push(d.rps / f.rps);
  }
  const medianRound = [...rounds].sort((x, y) => x - y)[Math.floor(rounds.length / 2)];

  const fmt = (n: number, d = 2) => n.toFixed(d);
  const lines = [
    '',
    `Authorization benchmark (scale ${SCALE}: ${data.direct.length} queries per kind; ${DURATION}s × ${CONNECTIONS} connections per load)`,
    `floor (Hono route, parse body, {"allowed":true}): ${fmt(floorResult.rps, 0)} req/s, p50 ${floorResult.p50} ms, p99 ${floorResult.p99} ms`,
    '',
    '| scenario | target | req/s | × floor | p50 ms | p99 ms | non-2xx |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(({ scenario, target, r }) => `| ${scenario} | ${target} | ${fmt(r.rps, 0)} | ${fmt(r.rps / floorResult.rps)} | ${r.p50} | ${r.p99} | ${r.non2xx + r.errors} |`),
    '',
  ];
  if (targets.length > 1) {
    for (const [scenario] of scenarios) {
      const [e, o] = targets.map((t) => results.find((x) => x.scenario === scenario && x.target === t.name)!.r);
      const u = results.find((x) => x.scenario === scenario && x.target === uncached.name)?.r;
      lines.push(`${scenario}: embedded / OpenFGA server = ${fmt(e!.rps / o!.rps)}×${u ? ` (decision cache off: ${fmt(u.rps / o!.rps)}×)` : ''}`);
    }
  }
  lines.push(
    ...heavy.map((hv, i) => `list-objects with ${hv.count} results on ${targets[i]!.name}: ${hv.ms} ms (median of 3)`),
    `resident memory of the Portcullis process holding ${Math.round(1_000_000 * SCALE / 1000)}k tuples: ${rss ? fmt(rss, 0) : '?'} MiB`,
    `decisions compared (${SAMPLE} per kind × ${targets.length + 1} targets, plus 10 list-objects): ${mismatches.length === 0 ? 'all identical and as expected' : `${mismatches.length} MISMATCHES`}`,
    ...mismatches.slice(0, 20).map((m) => `  ${m}`),
  );
  const direct = results.find((x) => x.scenario === 'direct check' && x.target === targets[0]!.name)!.r;
  const directUncached = results.find((x) => x.scenario === 'direct check' && x.target === uncached.name)!.r;
  lines.push(
    '',
    'Targets (issue 3): ' +
      [
        `direct check ≥ 0.8× floor: ${medianRound === undefined ? fmt(direct.rps / floorResult.rps) : `${fmt(medianRound)}× median of ${rounds.length} neighbouring rounds (${rounds.map((x) => fmt(x)).join(', ')}); in the table ${fmt(direct.rps / floorResult.rps)}`}× ` +
          `(repeated queries, from the decision cache; with it off ${fmt(directUncached.rps / floorResult.rps)}×)`,
        `direct p99 ≤ 5 ms: ${direct.p99} ms`,
        `10k list-objects ≤ 3 s: ${heavy[0]!.ms} ms`,
        `RSS ≤ 1 GiB: ${rss ? fmt(rss, 0) : '?'} MiB`,
      ].join('; '),
  );
  process.stdout.write(lines.join('\n') + '\n');
}

try {
  await main();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
