/**
 * `npm run bench:scim`: SCIM throughput and deprovisioning, through HTTP against a separate
 * `portcullis serve` process, with autocannon as the load client in this process. Prints the
 * figures next to the targets of issue 4; asserts nothing (timed assertions do not belong in
 * `npm test`).
 */
import autocannon from 'autocannon';
import { rmSync } from 'node:fs';
import { runCli } from '../../../src/cli/run.ts';
import { tempDir } from '../../helpers/harness.ts';
import { freePort } from '../../helpers/openfga-server.ts';
import { startServerProcess } from '../../helpers/server-process.ts';
import { bigGroup } from './big-group.ts';

const USERS = Number(process.env.BENCH_SCIM_USERS ?? 10_000);
const GROUPS = Number(process.env.BENCH_SCIM_GROUPS ?? 1_000);
const MEMBERS = 50;
const DEACTIVATIONS = Number(process.env.BENCH_SCIM_DEACTIVATIONS ?? 1_000);
const CONNECTIONS = 16;

async function cli(args: string[], env: Record<string, string>): Promise<any> {
  const out: string[] = [];
  const code = await runCli([...args, '--json'], { stdout: (t) => out.push(t), stderr: (t) => out.push(t), env });
  if (code !== 0) throw new Error(`portcullis ${args.join(' ')}: ${out.join('')}`);
  return JSON.parse(out.join(''));
}

const row = (label: string, value: string, target: string, ok: boolean | undefined) =>
  console.log(`${label.padEnd(58)} ${value.padStart(14)}   target ${target.padEnd(10)} ${ok === undefined ? '' : ok ? 'met' : 'MISSED'}`);

async function main(): Promise<void> {
  const dir = tempDir('portcullis-bench-scim-');
  const env = { PORTCULLIS_RATE_LIMIT_BURST: '100000000', PORTCULLIS_RATE_LIMIT_PER_SECOND: '100000000' };
  const port = await freePort();
  const server = await startServerProcess(dir, { ...env, PORTCULLIS_PORT: String(port), PORTCULLIS_BASE_URL: `http://127.0.0.1:${port}`, PORTCULLIS_LOG_LEVEL: 'warn' });
  try {
    const cliEnv = { PORTCULLIS_BASE_URL: server.url };
    const tenant = await cli(['tenant', 'create', '--name', 'Bench', '--data-dir', dir], cliEnv);
    const scim = await cli(['scim-token', 'create', '--tenant', tenant.id, '--data-dir', dir], cliEnv);
    const key = await cli(['apikey', 'create', '--tenant', tenant.id, '--scopes', 'admin,authz:read', '--data-dir', dir], cliEnv);
    const base = new URL(scim.base_url).pathname;
    const headers = { authorization: `Bearer ${scim.token}`, 'content-type': 'application/scim+json' };

    let n = 0;
    let lateCreates = '';
    const creates = await autocannon({
      url: server.url,
      connections: CONNECTIONS,
      amount: USERS,
      requests: [
        {
          method: 'POST',
          path: `${base}/Users`,
          headers,
          setupRequest: (req: any) => {
            const i = n++;
            if (i === Math.floor(USERS * 0.9)) lateCreates = new Date().toISOString();
            return {
              ...req,
              body: JSON.stringify({
                userName: `user-${i}@bench.test`,
                externalId: `ext-${i}`,
                name: { givenName: `Given${i}`, familyName: `Family${i}` },
                emails: [{ value: `user-${i}@bench.test`, type: 'work', primary: true }],
                active: true,
              }),
            };
          },
        },
      ],
    });
    const createRate = USERS / creates.duration;
    console.log(`\nSCIM benchmark: ${USERS} users, ${GROUPS} groups of ${MEMBERS}, ${DEACTIVATIONS} deactivations (server ${server.url})\n`);
    row('user creates/s', createRate.toFixed(0), '>= 500/s', createRate >= 500);
    row(`time for ${USERS} user creates`, `${creates.duration.toFixed(1)} s`, '<= 60 s', creates.duration <= 60);
    row('  non-2xx responses', String(creates.non2xx + creates.errors), '0', creates.non2xx + creates.errors === 0);

    const ids: string[] = [];
    for (let start = 1; ids.length < USERS; start += 500) {
      const page = (await (await fetch(`${server.url}${base}/Users?startIndex=${start}&count=500&attributes=id`, { headers })).json()) as { Resources: { id: string }[] };
      if (page.Resources.length === 0) break;
      ids.push(...page.Resources.map((r: { id: string }) => r.id));
    }

    // A group push moves its members' meta.lastModified: the last ~10% of users to change are
    // those of the last groups, once the groups cover every user.
    let lateChanges = lateCreates;
    const lateGroup = GROUPS * MEMBERS >= USERS ? GROUPS - Math.ceil((USERS * 0.1) / MEMBERS) : -1;
    let g = 0;
    const groups = await autocannon({
      url: server.url,
      connections: CONNECTIONS,
      amount: GROUPS,
      requests: [
        {
          method: 'POST',
          path: `${base}/Groups?attributes=id`,
          headers,
          setupRequest: (req: any) => {
            const i = g++;
            if (i === lateGroup) lateChanges = new Date().toISOString();
            const members = Array.from({ length: MEMBERS }, (_, k) => ({ value: ids[(i * MEMBERS + k) % ids.length] }));
            return { ...req, body: JSON.stringify({ displayName: `Group ${i}`, members }) };
          },
        },
      ],
    });
    row(`group creates (${MEMBERS} members each)/s`, (GROUPS / groups.duration).toFixed(0), '-', undefined);
    row('  non-2xx responses', String(groups.non2xx + groups.errors), '0', groups.non2xx + groups.errors === 0);

    // What Okta and Entra send (eq on userName, externalId, the work email), and the scans an
    // admin tool or a sync job sends (co/sw on names; lastModified matching the last ~10%, so
    // full pages of 100 users). The unfiltered page is the reference: rendering 100 users.
    for (const [label, filter] of [
      ['', () => ''],
      ['userName eq', (i: number) => `userName eq "user-${i}@bench.test"`],
      ['externalId eq', (i: number) => `externalId eq "ext-${i}"`],
      ['emails[type eq "work"].value eq', (i: number) => `emails[type eq "work"].value eq "user-${i}@bench.test"`],
      ['emails[type eq "work" and value co]', (i: number) => `emails[type eq "work" and value co "user-${i}@"]`],
      ['name.familyName sw', (i: number) => `name.familyName sw "Family${i}"`],
      ['name.givenName co', (i: number) => `name.givenName co "iven${i}"`],
      ['meta.lastModified gt', () => `meta.lastModified gt "${lateChanges}"`],
    ] as const) {
      let q = 0;
      const lists = await autocannon({
        url: server.url,
        connections: 4,
        amount: 2000,
        requests: [
          {
            method: 'GET',
            headers,
            setupRequest: (req: any) => {
              const f = filter((q++ * 7919) % USERS);
              return { ...req, path: f ? `${base}/Users?filter=${encodeURIComponent(f)}` : `${base}/Users` };
            },
          },
        ],
      });
      if (label === 'meta.lastModified gt') {
        const total = ((await (await fetch(`${server.url}${base}/Users?count=1&filter=${encodeURIComponent(`meta.lastModified gt "${lateChanges}"`)}`, { headers })).json()) as { totalResults: number }).totalResults;
        console.log(`  (meta.lastModified gt matches ${total} of ${USERS} users)`);
      }
      if (label === '') row('list p99 (no filter: pages of 100, reference)', `${lists.latency.p99} ms`, '-', undefined);
      else row(`filtered list p99 (${label})`, `${lists.latency.p99} ms`, '<= 50 ms', lists.latency.p99 <= 50 && lists.non2xx === 0);
    }

    await deactivations(server.url, base, headers, key.key, tenant, ids);
    await bigGroup(server.url, base, headers, ids, row);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Maps every group to `viewer`, then deactivates users one by one and checks each right after the response. */
async function deactivations(url: string, base: string, headers: Record<string, string>, apiKey: string, tenant: { id: string; authz_store_id: string }, ids: string[]): Promise<void> {
  const admin = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const check = async (userId: string) => {
    const res = await fetch(`${url}/stores/${tenant.authz_store_id}/check`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ tuple_key: { user: `user:${userId}`, relation: 'viewer', object: `organization:${tenant.id}` } }),
    });
    if (res.status === 404) return undefined;
    return ((await res.json()) as { allowed: boolean }).allowed;
  };
  for (let start = 1; ; start += 500) {
    const page = (await (await fetch(`${url}${base}/Groups?startIndex=${start}&count=500&attributes=id`, { headers })).json()) as { Resources: { id: string }[] };
    if (page.Resources.length === 0) break;
    for (const group of page.Resources) {
      await fetch(`${url}/admin/v1/tenants/${tenant.id}/scim/group-mappings`, { method: 'POST', headers: admin, body: JSON.stringify({ group_id: group.id, relation: 'viewer' }) });
    }
  }
  const targets = ids.slice(0, Math.min(DEACTIVATIONS, ids.length));
  if ((await check(targets[0] as string)) === undefined) {
    row('allowed checks after deactivation', 'n/a', '0', undefined);
    console.log('  (no /stores check endpoint in this build: the authorization API is not mounted)');
    return;
  }
  let allowedBefore = 0;
  let allowedAfter = 0;
  const started = performance.now();
  for (const id of targets) {
    if (await check(id)) allowedBefore++;
    const res = await fetch(`${url}${base}/Users/${id}`, { method: 'PATCH', headers, body: JSON.stringify({ Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }) });
    if (res.status !== 200) throw new Error(`deactivation answered ${res.status}`);
    if (await check(id)) allowedAfter++;
  }
  const seconds = (performance.now() - started) / 1000;
  row('allowed checks before deactivation', `${allowedBefore}/${targets.length}`, 'all', allowedBefore === targets.length);
  row('allowed checks after deactivation', `${allowedAfter}/${targets.length}`, '0', allowedAfter === 0);
  row('deactivate + 2 checks, per user', `${((seconds * 1000) / targets.length).toFixed(1)} ms`, '-', undefined);
}

await main();
