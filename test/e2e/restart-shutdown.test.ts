import { describe, expect, it } from 'vitest';
import { Agent, request as httpRequest } from 'node:http';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BIN, serverProcesses, startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { openDatabase } from '../../src/storage/database.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { migrations } from '../../src/storage/migrations/index.ts';
import { cli } from '../helpers/cli.ts';
import { holdWriteLock } from '../helpers/write-lock.ts';

/** Real `portcullis serve` processes restarted, started twice, shut down mid-request, and rate limited side by side. */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const { newDir, start } = serverProcesses();
async function call(s: ServerProcess, key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
}
async function clientToken(s: ServerProcess, app: { client_id: string; client_secret: string }) {
  const res = await fetch(`${s.url}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}` },
    body: 'grant_type=client_credentials&scope=authz%3Aread',
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}
const kidOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString()).kid as string;

type HeldAnswer = { status: number; connection: string | undefined; text: string } | { error: string };

/** Sends a POST whose body is held back until `release()`; `done` is the answer or the socket error. */
function heldPost(s: ServerProcess, key: string, path: string, body: string, agent?: Agent) {
  const url = new URL(`${s.url}${path}`);
  let headSent!: () => void;
  const sentHead = new Promise<void>((r) => (headSent = r));
  let req!: ReturnType<typeof httpRequest>;
  const done = new Promise<HeldAnswer>((resolve) => {
    req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: {
        authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': 'held-request',
      } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }));
      },
    );
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
  });
  req.write(body.slice(0, 3), () => headSent());
  return { sentHead, done, release: () => req.end(body.slice(3)) };
}
const accessLines = (s: ServerProcess) => s.stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Json).filter((l) => l.msg === 'request');

describe('restarts', () => {
  it('keeps keys, tokens, signing keys, the KEK file and continuation tokens across a restart; migrate is a no-op', async () => {
    const dir = newDir();
    const first = await start(dir);
    const platform = first.platformKey as string;
    const t = (await call(first, platform, 'POST', '/admin/v1/tenants', { name: 'Durable' })).body as { id: string; authz_store_id: string };
    const key = (await call(first, platform, 'POST', `/admin/v1/tenants/${t.id}/api-keys`, { name: 'fga', scopes: ['authz:read', 'authz:write'] })).body.key as string;
    const app = (await call(first, platform, 'POST', `/admin/v1/tenants/${t.id}/apps`, { name: 'm2m', grant_types: ['client_credentials'], authz_scopes: ['authz:read'] })).body as { client_id: string; client_secret: string };
    const scim = (await call(first, platform, 'POST', `/admin/v1/tenants/${t.id}/scim/tokens`, { name: 'okta' })).body;
    const tuples = ['anne', 'bob', 'carl'].map((u) => ({ user: `user:${u}`, relation: 'member', object: `organization:${t.id}` }));
    expect((await call(first, key, 'POST', `/stores/${t.authz_store_id}/write`, { writes: { tuple_keys: tuples } })).status).toBe(200);
    const page1 = (await call(first, key, 'POST', `/stores/${t.authz_store_id}/read`, { page_size: 1 })).body;
    expect(page1.continuation_token).toBeTruthy();
    const token = await clientToken(first, app);
    const kek = readFileSync(join(dir, 'oidc-kek'), 'utf8');
    expect(await first.stop()).toEqual({ code: 0, signal: null });

    const migrated = await cli(['migrate', '--data-dir', dir, '--json']);
    expect([migrated.code, migrated.json().applied]).toEqual([0, []]);

    const second = await start(dir);
    expect(second.platformKey).toBeUndefined();
    expect(readFileSync(join(dir, 'oidc-kek'), 'utf8')).toBe(kek);
    const page2 = await call(second, key, 'POST', `/stores/${t.authz_store_id}/read`, { page_size: 1, continuation_token: page1.continuation_token });
    expect(page2.status).toBe(200);
    const seen = [...page1.tuples, ...page2.body.tuples].map((x: Json) => x.key.user);
    expect(new Set(seen).size).toBe(2);
    const check = await call(second, token, 'POST', `/stores/${t.authz_store_id}/check`, { tuple_key: tuples[0] });
    expect([check.status, check.body.allowed]).toEqual([200, true]);
    expect(kidOf(await clientToken(second, app))).toBe(kidOf(token));
    expect((await call(second, scim.token, 'GET', `${new URL(scim.base_url).pathname}/Users`)).status).toBe(200);
    expect((await call(second, platform, 'GET', '/readyz')).body).toMatchObject({ status: 'ready' });
  });

  it('starts three processes at once on a fresh directory: one platform key, one KEK, all serving', async () => {
    const dir = newDir();
    const all = await Promise.all([0, 1, 2].map(() => start(dir)));
    const keys = all.map((s) => s.platformKey).filter(Boolean) as string[];
    expect(keys).toHaveLength(1);
    for (const s of all) expect((await call(s, keys[0] as string, 'GET', '/admin/v1/tenants')).status).toBe(200);
    const kids = await Promise.all(all.map(async (s) => ((await (await fetch(`${s.url}/oidc/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort()));
    expect(kids[1]).toEqual(kids[0]);
    expect(kids[2]).toEqual(kids[0]);
    expect(kids[0]).toHaveLength(2);
  });

  it('refuses clearly to serve twice on one port, and leaves the first server serving', async () => {
    const dir = newDir();
    const first = await start(dir);
    const port = new URL(first.url).port;
    const second = startServerProcess(dir, { PORTCULLIS_PORT: port });
    const err = (await second.then(() => undefined, (e: Error) => e)) as Error | undefined;
    expect(err?.message).toMatch(/server exited \(1\) before listening/);
    expect(err?.message).toMatch(/EADDRINUSE/);
    expect(err?.message).toContain(port);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
  });

  it('waits for another process that is still migrating instead of applying the same migration again', async () => {
    // Replicas of a new version start together: one is still inside a migration (a long one on a
    // big database) when the next reads which migrations are pending.
    const dir = newDir();
    const db = openDatabase(join(dir, 'portcullis.db'));
    const last = migrations[migrations.length - 1]!;
    migrate(db, migrations.slice(0, -1));
    db.exec('BEGIN IMMEDIATE');
    db.exec(last.sql);
    const child = spawn(process.execPath, [BIN, 'migrate', '--data-dir', dir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise((r) => setTimeout(r, 1500));
    db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(
      last.version, last.name, createHash('sha256').update(last.sql).digest('hex'), new Date().toISOString(),
    );
    db.exec('COMMIT');
    db.close();
    expect(await exited, out).toBe(0);
    expect(JSON.parse(out.trim().split('\n').pop() as string).applied).toEqual([]);
    const s = await start(dir);
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
  });

  it('portcullis migrate says on stderr that it waits for another process\'s write lock, then applies what is pending', async () => {
    const dir = newDir();
    const db = openDatabase(join(dir, 'portcullis.db'));
    migrate(db, migrations.slice(0, -1));
    db.close();
    const holder = await holdWriteLock(join(dir, 'portcullis.db'), 2500);
    const r = await cli(['migrate', '--data-dir', dir, '--json']);
    await holder.released;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Waiting for the database write lock .*another process holds it/);
    expect(r.json().applied).toHaveLength(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('starts once another process that holds the write lock longer than the 5 s busy timeout (a long migration) lets go, logging that it waits', async () => {
    const dir = newDir();
    const db = openDatabase(join(dir, 'portcullis.db'));
    migrate(db, migrations.slice(0, -1));
    db.close();
    const holder = await holdWriteLock(join(dir, 'portcullis.db'), 7000);
    const s = await start(dir);
    await holder.released;
    const waiting = s.stdout.filter((l) => l.includes('waiting for the database write lock'));
    expect(waiting.length).toBeGreaterThan(0);
    expect(JSON.parse(waiting[0] as string)).toMatchObject({ level: 'warn', data_dir: dir });
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    expect(s.platformKey).toMatch(/^ptc_key_/);
  }, 20_000);
});

describe('shutdown', () => {
  it('answers a request in flight at SIGTERM (closing its keep-alive connection), refuses new connections, logs everything, exits 0', async () => {
    const s = await start(newDir());
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${s.url}/healthz`, { headers: { 'x-request-id': `before-stop-${i}` } });
      expect(r.status).toBe(200);
    }
    const held = heldPost(s, s.platformKey as string, '/admin/v1/tenants', JSON.stringify({ name: 'In Flight' }), agent);
    await held.sentHead;
    await new Promise((r) => setTimeout(r, 200));
    s.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    held.release();
    const res = await held.done;
    expect(res).toMatchObject({ status: 201, connection: 'close' });
    expect(JSON.parse((res as { text: string }).text).name).toBe('In Flight');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    agent.destroy();
    const lines = accessLines(s);
    for (const id of ['before-stop-0', 'before-stop-1', 'before-stop-2', 'held-request']) {
      expect(lines.find((l) => l.request_id === id), id).toBeDefined();
    }
    expect(lines.find((l) => l.request_id === 'held-request')).toMatchObject({ status: 201, method: 'POST' });
  });

  it('gives up on a request still running after PORTCULLIS_SHUTDOWN_TIMEOUT_MS and exits 0 anyway', async () => {
    const s = await start(newDir(), { PORTCULLIS_SHUTDOWN_TIMEOUT_MS: '300' });
    const held = heldPost(s, s.platformKey as string, '/admin/v1/tenants', JSON.stringify({ name: 'Never Finished' }));
    await held.sentHead;
    await new Promise((r) => setTimeout(r, 200));
    s.proc.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(await held.done).toHaveProperty('error');
  });
});

describe('rate limits across processes', () => {
  it('keeps one token bucket per credential in each process: two processes allow twice the burst', async () => {
    const dir = newDir();
    const env = { PORTCULLIS_RATE_LIMIT_BURST: '3', PORTCULLIS_RATE_LIMIT_PER_SECOND: '0.01' };
    const a = await start(dir, env);
    const b = await start(dir, env);
    const made = await cli(['apikey', 'create', '--platform', '--data-dir', dir, '--json']);
    const key = made.json().key as string;
    const statuses = async (s: ServerProcess) => {
      const out: number[] = [];
      for (let i = 0; i < 4; i++) out.push((await call(s, key, 'GET', '/admin/v1/tenants')).status);
      return out;
    };
    expect(await statuses(a)).toEqual([200, 200, 200, 429]);
    expect(await statuses(b)).toEqual([200, 200, 200, 429]);
  });
});
