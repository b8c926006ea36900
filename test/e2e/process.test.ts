import { describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, serverProcesses, type ServerProcess } from '../helpers/server-process.ts';
import { cli } from '../helpers/cli.ts';

const { newDir, start } = serverProcesses();
const api = (s: ServerProcess, key: string, method: string, path: string, body?: unknown) =>
  fetch(`${s.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

describe('the server process', () => {
  it('prints the platform key once on first start, never logs it, and keeps data across a restart', async () => {
    const dir = newDir();
    const first = await start(dir);
    expect(first.platformKey).toMatch(/^ptc_key_/);
    const key = first.platformKey as string;
    const created = await api(first, key, 'POST', '/admin/v1/tenants', { name: 'Durable' });
    expect(created.status).toBe(201);
    const tenant = (await created.json()) as { id: string };
    expect(await first.stop()).toEqual({ code: 0, signal: null });
    const logLines = first.stdout.filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(line).not.toContain(key.slice(-20));

    const second = await start(dir);
    expect(second.platformKey).toBeUndefined();
    expect(second.stdout.join('\n')).not.toContain(key.slice(-20));
    const got = await api(second, key, 'GET', `/admin/v1/tenants/${tenant.id}`);
    expect(got.status).toBe(200);
    expect(((await got.json()) as { name: string }).name).toBe('Durable');
  });

  it('writes a quiet server\'s access line to stdout promptly, without waiting for shutdown', async () => {
    const s = await start(newDir());
    const res = await fetch(`${s.url}/healthz`, { headers: { 'x-request-id': 'quiet-server-line' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('quiet-server-line');
    const deadline = Date.now() + 10_000;
    let line: string | undefined;
    while (!line && Date.now() < deadline) {
      line = s.stdout.find((l) => l.includes('quiet-server-line'));
      if (!line) await new Promise((r) => setTimeout(r, 50));
    }
    expect(line, 'access line still buffered after 10 s').toBeDefined();
    const entry = JSON.parse(line as string) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'info', service: 'portcullis', msg: 'request', request_id: 'quiet-server-line', status: 200, method: 'GET' });
    expect(Number.isNaN(Date.parse(entry.time as string))).toBe(false);
  });

  it('echoes X-Request-Id once on every kind of response from the real HTTP server', async () => {
    const s = await start(newDir());
    const cases: [string, RequestInit, number][] = [
      ['/healthz', {}, 200],
      ['/no/such/route', {}, 404],
      ['/admin/v1/tenants', {}, 401],
      ['/admin/v1/tenants', { method: 'POST', headers: { authorization: `Bearer ${s.platformKey}`, 'content-type': 'application/json' }, body: '{"name":' }, 400],
      ['/admin/v1/tenants', { method: 'POST', headers: { authorization: `Bearer ${s.platformKey}`, 'content-type': 'application/json' }, body: '{"name":"Echo"}' }, 201],
      ['/admin/v1/tenants', { method: 'POST', headers: { authorization: `Bearer ${s.platformKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }) }, 413],
      ['/stores', { method: 'POST', headers: { authorization: `Bearer ${s.platformKey}`, 'content-type': 'application/json' }, body: '{"name":"Echo Store"}' }, 201],
      ['/scim/v2/dir_01M8EESTE9WX5YJM5YEEEW5YNY/Users', {}, 401],
      ['/oidc/.well-known/openid-configuration', {}, 200],
    ];
    for (const [path, init, status] of cases) {
      const id = `echo-${status}`;
      const res = await fetch(`${s.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-request-id': id } });
      expect(res.status, path).toBe(status);
      expect(res.headers.get('x-request-id'), path).toBe(id);
      if (status >= 400 && path.startsWith('/admin/')) expect(((await res.json()) as { request_id: string }).request_id).toBe(id);
      else await res.arrayBuffer();
    }
    const tenant = (await (await fetch(`${s.url}/admin/v1/tenants`, { method: 'POST', headers: { authorization: `Bearer ${s.platformKey}`, 'content-type': 'application/json' }, body: '{"name":"Etagged"}' })).json()) as { id: string };
    const got = await fetch(`${s.url}/admin/v1/tenants/${tenant.id}`, { headers: { authorization: `Bearer ${s.platformKey}`, 'x-request-id': 'echo-etag' } });
    expect([got.status, got.headers.get('x-request-id'), got.headers.get('content-type')]).toEqual([200, 'echo-etag', 'application/json']);
    expect(got.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(((await got.json()) as { id: string }).id).toBe(tenant.id);
    const exported = await fetch(`${s.url}/admin/v1/tenants/${tenant.id}/audit/export?format=ndjson`, { headers: { authorization: `Bearer ${s.platformKey}`, 'x-request-id': 'echo-export' } });
    expect([exported.status, exported.headers.get('x-request-id')]).toEqual([200, 'echo-export']);
    expect((await exported.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l).action)).toContain('tenant.created');
    const generated = await fetch(`${s.url}/healthz`);
    expect(generated.headers.get('x-request-id')).toMatch(/^req_[0-9A-Z]{26}$/);
  });

  it('refuses to start on bad configuration and names the variable', () => {
    const r = spawnSync(process.execPath, [BIN, 'serve', '--data-dir', newDir()], {
      env: { ...process.env, PORTCULLIS_PORT: 'eighty' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('PORTCULLIS_PORT');
  });

  it('refuses to start on an empty key-encryption key file, naming the file, and leaves it as it was', () => {
    const dir = newDir();
    const kek = join(dir, 'oidc-kek');
    writeFileSync(kek, '', { mode: 0o600 });
    const r = spawnSync(process.execPath, [BIN, 'serve', '--data-dir', dir], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${kek} is empty`);
    expect(r.stdout).not.toMatch(/Listening on/);
    expect(readFileSync(kek, 'utf8')).toBe('');
  });

  it('finishes an in-flight request after SIGTERM, then exits 0', async () => {
    const dir = newDir();
    const s = await start(dir);
    const url = new URL(`${s.url}/admin/v1/tenants`);
    const body = JSON.stringify({ name: 'Mid Shutdown' });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: {
          authorization: `Bearer ${s.platformKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
        } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 5));
      setTimeout(() => {
        s.proc.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(5)), 400);
      }, 300);
    });
    const res = await response;
    expect(res.status).toBe(201);
    expect(JSON.parse(res.text).name).toBe('Mid Shutdown');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });

  it('leaves a consistent database when killed with SIGKILL in the middle of writes', async () => {
    const dir = newDir();
    const s = await start(dir);
    const key = s.platformKey as string;
    let done = 0;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; ; i++) {
        try {
          const r = await api(s, key, 'POST', '/admin/v1/tenants', { name: `w${w}-${i}` });
          if (r.status === 201) done++;
          if (done >= 40 && s.proc.exitCode === null) s.proc.kill('SIGKILL');
        } catch {
          return;
        }
      }
    });
    await Promise.all(writers);
    expect((await s.exited).signal).toBe('SIGKILL');

    const db = new Database(join(dir, 'portcullis.db'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const tenants = db.prepare('SELECT id FROM tenants').all() as { id: string }[];
    const created = db.prepare(`SELECT target_id FROM audit_events WHERE action = 'tenant.created'`).all() as { target_id: string }[];
    expect(tenants.length).toBeGreaterThanOrEqual(40);
    expect(created.map((r) => r.target_id).sort()).toEqual(tenants.map((t) => t.id).sort());
    db.close();
    for (const t of tenants.slice(0, 5)) {
      const v = await cli(['audit', 'verify', '--tenant', t.id, '--data-dir', dir, '--json']);
      expect(v.json().ok).toBe(true);
    }
    const again = await start(dir);
    const list = await api(again, key, 'GET', '/admin/v1/tenants?limit=200');
    expect(((await list.json()) as { data: unknown[] }).data.length).toBe(tenants.length);
  });

  it('lets the CLI write while the server runs, and the server sees it at once', async () => {
    const dir = newDir();
    const s = await start(dir);
    const made = await cli(['tenant', 'create', '--name', 'From CLI', '--data-dir', dir, '--json']);
    expect(made.code).toBe(0);
    const got = await api(s, s.platformKey as string, 'GET', `/admin/v1/tenants/${made.json().id}`);
    expect(got.status).toBe(200);
  });
});
