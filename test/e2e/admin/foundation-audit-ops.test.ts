import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Harness } from '../../helpers/harness.ts';
import { cli } from '../../helpers/cli.ts';

describe('Idempotency-Key with credentials that present many bearer tokens', () => {
  let env: SsoEnv;
  let acme: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    const app = await env.ok('POST', `/admin/v1/tenants/${acme.id}/apps`, { name: 'backend', grant_types: ['client_credentials'], authz_scopes: ['authz:write'] });
    rp = await env.rp({ client_id: app.client_id, client_secret: app.client_secret });
  });
  afterAll(() => env?.close());

  it('answers a retry with a fresh access token of the same app with a clear 4xx, never a 500, and writes once', async () => {
    const write = async (token: string) =>
      fetch(`${env.base}/stores/${acme.authz_store_id}/write`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'tuple-1' },
        body: JSON.stringify({ writes: { tuple_keys: [{ user: 'user:anne', relation: 'member', object: `organization:${acme.id}` }] } }),
      });
    const first = await client.clientCredentialsGrant(rp, { scope: 'authz:write' });
    const second = await client.clientCredentialsGrant(rp, { scope: 'authz:write' });
    expect(second.access_token).not.toBe(first.access_token);
    expect((await write(first.access_token)).status).toBe(200);
    const replay = await write(first.access_token);
    expect([replay.status, replay.headers.get('idempotency-replayed')]).toEqual([200, 'true']);
    const retry = await write(second.access_token);
    expect(retry.status).toBe(409);
    expect(((await retry.json()) as { code: string }).code).toBe('idempotency_credential_changed');
    const events = env.services.storage.unscoped.auditChain(acme.id).query({ action: 'authz.tuples.written', order: 'asc', limit: 10 });
    expect(events).toHaveLength(1);
    // The token that made the request still gets its reply.
    expect((await write(first.access_token)).headers.get('idempotency-replayed')).toBe('true');
  });
});

describe('one audit event per admin change, and no secrets anywhere', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness({ logLevel: 'debug', bodyLimitBytes: 4096 });
  });
  afterEach(() => h.close());

  const chainLength = (chain: string) => h.services.storage.unscoped.auditChain(chain).head()?.seq ?? 0;

  it('writes exactly one event, on the tenant\'s chain, with the request\'s id and credential, for each change', async () => {
    const t = await h.createTenant('Acme');
    const victim = await h.tenantKey(t.id, ['authz:read']);
    const platformId = (h.services.storage.sql.prepare('SELECT id FROM api_keys WHERE tenant_id IS NULL').get() as { id: string }).id;
    const changes: [string, string, unknown, string][] = [
      ['PATCH', `/admin/v1/tenants/${t.id}`, { name: 'Acme 2' }, 'tenant.updated'],
      ['POST', `/admin/v1/tenants/${t.id}/suspend`, undefined, 'tenant.suspended'],
      ['POST', `/admin/v1/tenants/${t.id}/resume`, undefined, 'tenant.resumed'],
      ['POST', `/admin/v1/tenants/${t.id}/api-keys`, { name: 'k', scopes: ['admin'] }, 'api_key.created'],
      ['DELETE', `/admin/v1/tenants/${t.id}/api-keys/${victim.id}`, undefined, 'api_key.revoked'],
      ['DELETE', `/admin/v1/tenants/${t.id}`, undefined, 'tenant.deleted'],
    ];
    const platformBefore = chainLength('platform');
    for (const [i, [method, path, body, action]] of changes.entries()) {
      const before = chainLength(t.id);
      const res = await h.request(method, path, { body, headers: { 'x-request-id': `change-${i}` } });
      expect(res.status, `${method} ${path}`).toBeLessThan(300);
      expect(chainLength(t.id), action).toBe(before + 1);
      const [newest] = h.services.storage.unscoped.auditChain(t.id).query({ order: 'desc', limit: 1 });
      expect([newest?.action, newest?.request_id, newest?.actor.credential_id]).toEqual([action, `change-${i}`, platformId]);
    }
    expect(chainLength('platform')).toBe(platformBefore);
  });

  it('keeps key secrets and their hashes out of logs, audit events, exports and error bodies', async () => {
    const t = await h.createTenant('Acme');
    const created = await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { body: { name: 'ci', scopes: ['admin'] }, headers: { 'Idempotency-Key': 'k1' } });
    await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { body: { name: 'ci', scopes: ['admin'] }, headers: { 'Idempotency-Key': 'k1' } });
    const key = created.body.key as string;
    const secret = key.slice(-43);
    const wrongSecret = key.slice(0, -43) + 'A'.repeat(43);
    const bodies: unknown[] = [];
    bodies.push((await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: wrongSecret })).body);
    bodies.push((await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: `${key} trailing` })).body);
    bodies.push((await h.json('POST', `/admin/v1/tenants/${t.id}/api-keys`, { key, rawBody: `{"name": "${secret}", "scopes": ["root"]}` })).body);
    await h.json('DELETE', `/admin/v1/tenants/${t.id}/api-keys/${created.body.id}`, { key });
    bodies.push((await h.json('GET', `/admin/v1/tenants/${t.id}`, { key })).body);
    const hash = (h.services.storage.sql.prepare('SELECT secret_hash FROM api_keys WHERE id = ?').get(created.body.id) as { secret_hash: string }).secret_hash;
    const exported = await (await h.request('GET', `/admin/v1/tenants/${t.id}/audit/export`)).text();
    const csv = await (await h.request('GET', `/admin/v1/tenants/${t.id}/audit/export?format=csv`)).text();
    await h.services.logger.flush();
    expect(h.logs.lines.some((l) => l.includes('"level":"debug"'))).toBe(true);
    for (const [where, text] of [['logs', h.logs.text], ['ndjson', exported], ['csv', csv], ['errors', JSON.stringify(bodies.slice(0, 2).concat(bodies.slice(3)))]]) {
      expect(text, where).not.toContain(secret);
      expect(text, where).not.toContain(hash);
      expect(text, where).not.toContain(h.platformKey.slice(-43));
    }
    expect(exported).toContain(created.body.id);
  });

  it('defuses spreadsheet formulas in every attacker-controlled CSV cell of an API export', async () => {
    const t = await h.createTenant('Acme');
    const agents = ['=HYPERLINK("http://x","y")', '+1+cmd', '-2+3', '@SUM(A1)'];
    for (const ua of agents) await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: ua }, headers: { 'user-agent': ua } });
    const csv = await (await h.request('GET', `/admin/v1/tenants/${t.id}/audit/export?format=csv`)).text();
    const header = csv.split('\r\n')[0]!.split(',');
    const uaColumn = header.indexOf('user_agent');
    const rows = csv.trim().split('\r\n').slice(3);
    expect(rows).toHaveLength(agents.length);
    for (const [i, ua] of agents.entries()) {
      const cell = parseCsvRow(rows[i]!)[uaColumn];
      expect(cell).toBe(`'${ua}`);
    }
  });

  it('echoes the request id in the error body and header on 401, 404, 413 and 429 alike', async () => {
    const t = await h.createTenant('Acme');
    const cases: [string, string, Parameters<Harness['json']>[2]][] = [
      ['GET', '/admin/v1/tenants', { key: null }],
      ['GET', '/admin/v1/tenants/ten_nope', {}],
      ['PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: 'x'.repeat(5000) } }],
    ];
    for (const [i, [method, path, o]] of cases.entries()) {
      const res = await h.json(method, path, { ...o, headers: { 'x-request-id': `err-${i}` } });
      expect([res.body.request_id, res.res.headers.get('x-request-id')]).toEqual([`err-${i}`, `err-${i}`]);
    }
  });

  it('refuses a streamed body over the limit without Content-Length with 413 and changes nothing', async () => {
    const t = await h.createTenant('Acme');
    const chunk = new TextEncoder().encode(`{"name":"${'x'.repeat(3000)}`);
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
      },
    });
    const res = await h.app.request(`/admin/v1/tenants/${t.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${h.platformKey}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('payload_too_large');
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`)).body.name).toBe('Acme');
  });

  it('keeps raw paths and credential ids out of metric labels', async () => {
    const t = await h.createTenant('Acme');
    const k = await h.tenantKey(t.id, ['admin']);
    for (let i = 0; i < 3; i++) await h.request('GET', `/admin/v1/probe-${i}-x`, { key: k.key });
    await h.request('GET', `/admin/v1/tenants/${t.slug}`, { key: k.key });
    const metrics = await (await h.request('GET', '/metrics', { key: null })).text();
    expect(metrics).not.toMatch(/probe-\d-x/);
    expect(metrics).not.toContain(k.id);
    expect(metrics).not.toContain(t.slug);
  });
});

/** A minimal RFC 4180 row parser (quoted cells, doubled quotes), enough for one line without newlines. */
function parseCsvRow(row: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i <= row.length) {
    if (row[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        const q = row.indexOf('"', i);
        cell += row.slice(i, q);
        if (row[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 2;
          break;
        }
      }
      cells.push(cell);
    } else {
      const end = row.indexOf(',', i) === -1 ? row.length : row.indexOf(',', i);
      cells.push(row.slice(i, end));
      i = end + 1;
    }
  }
  return cells;
}

describe('CLI edges', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());
  const run = (...args: string[]) => cli([...args, '--data-dir', h.dir]);
  const noStack = (r: { stderr: string; stdout: string }) => expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+/);

  it('prints one valid JSON object per command under --json, and the secret only from apikey create', async () => {
    const made = await run('tenant', 'create', '--name', 'Acme', '--json');
    const key = await run('apikey', 'create', '--tenant', 'acme', '--scopes', 'admin', '--json');
    const listed = await run('tenant', 'list', '--json');
    const verified = await run('audit', 'verify', '--tenant', 'acme', '--json');
    const revoked = await run('apikey', 'revoke', key.json().id, '--json');
    for (const r of [made, key, listed, verified, revoked]) {
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      expect(() => JSON.parse(r.stdout)).not.toThrow();
    }
    const secret = (key.json().key as string).slice(-43);
    for (const r of [made, listed, verified, revoked]) expect(r.stdout).not.toContain(secret);
    expect(revoked.json()).toEqual({ id: key.json().id, tenant_id: made.json().id, revoked_at: expect.any(String) });
    expect((await h.json('GET', '/admin/v1/tenants/acme', { key: key.json().key })).status).toBe(401);
  });

  it.each([
    [['apikey', 'create', '--tenant', 'acme', '--name', ''], /--name/],
    [['apikey', 'create', '--tenant', 'acme', '--name', '   '], /--name/],
    [['apikey', 'create', '--tenant', 'acme', '--name', 'n'.repeat(201)], /--name/],
    [['tenant', 'create', '--name', 'n'.repeat(201)], /--name/],
    [['apikey', 'revoke', 'key_a', 'key_b'], /unexpected argument 'key_b'/],
    [['audit', 'export', '--tenant'], /--tenant/],
    [['audit', 'verify'], /give --tenant T .* or --platform/],
    [['apikey', 'create', '--tenant', 'acme', '--scopes', ','], /unknown scope/],
    [['audit', 'export', '--tenant', 'acme', '--until', '9999-12-31T23:59:59-14:00'], /--until must fall within/],
  ])('exits 2 for %j with a clear message, no stack trace, and creates nothing', async (args, message) => {
    await h.createTenant('Acme', 'acme');
    const keysBefore = h.services.storage.sql.prepare('SELECT count(*) AS n FROM api_keys').get();
    const r = await run(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stdout).toBe('');
    noStack(r);
    expect(h.services.storage.sql.prepare('SELECT count(*) AS n FROM api_keys').get()).toEqual(keysBefore);
    expect((h.services.storage.sql.prepare('SELECT count(*) AS n FROM tenants').get() as { n: number }).n).toBe(1);
  });

  it('exits 1 without a stack trace when the data dir is a file, and answers JSON errors under --json', async () => {
    const file = `${h.dir}/portcullis.db`;
    const r = await cli(['tenant', 'list', '--data-dir', file, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
    noStack(r);
    const missing = await run('audit', 'export', '--tenant', 'ghost', '--format', 'csv', '--json');
    expect([missing.code, missing.json()]).toEqual([1, { error: { code: 'not_found', message: 'The tenant does not exist.' } }]);
  });
});
