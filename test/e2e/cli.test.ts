import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.ts';
import { cli } from '../helpers/cli.ts';
import { commands } from '../../src/cli/commands.ts';

describe('CLI and HTTP API agree', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());
  const run = (...args: string[]) => cli([...args, '--data-dir', h.dir]);

  it('creates a tenant the API then serves', async () => {
    const r = await run('tenant', 'create', '--name', 'Acme Corp', '--slug', 'acme', '--json');
    expect(r.code).toBe(0);
    const made = r.json();
    expect(Object.keys(made).sort()).toEqual(['authz_store_id', 'id', 'name', 'slug']);
    const got = await h.json('GET', '/admin/v1/tenants/acme');
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject(made);
    const audit = await h.json('GET', `/admin/v1/tenants/${made.id}/audit`);
    expect(audit.body.data.map((e: { action: string; actor: { type: string } }) => [e.action, e.actor.type])).toEqual([
      ['authz.model.written', 'cli'],
      ['tenant.created', 'cli'],
    ]);
  });

  it('lists a tenant the API created', async () => {
    const t = await h.createTenant('Globex');
    const r = await run('tenant', 'list', '--json');
    expect(r.json().tenants.map((x: { id: string }) => x.id)).toContain(t.id);
    const human = await run('tenant', 'list');
    expect(human.stdout).toContain('globex');
  });

  it('creates tenant keys whose scopes the API enforces, and platform keys', async () => {
    const t = await h.createTenant('Acme');
    const r = await run('apikey', 'create', '--tenant', t.slug, '--scopes', 'audit:read,authz:read', '--json');
    expect(r.code).toBe(0);
    const k = r.json();
    expect(Object.keys(k).sort()).toEqual(['id', 'key', 'scopes', 'tenant_id']);
    expect(k).toMatchObject({ tenant_id: t.id, scopes: ['audit:read', 'authz:read'] });
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}/audit`, { key: k.key })).status).toBe(200);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: k.key })).status).toBe(403);

    const p = (await run('apikey', 'create', '--platform', '--json')).json();
    expect(p.tenant_id).toBeNull();
    expect((await h.json('POST', '/admin/v1/tenants', { key: p.key, body: { name: 'By CLI key' } })).status).toBe(201);
  });

  it('revokes a key so the running API refuses it at once', async () => {
    const t = await h.createTenant('Acme');
    const k = await h.tenantKey(t.id, ['admin']);
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: k.key })).status).toBe(200);
    const r = await run('apikey', 'revoke', k.id, '--json');
    expect(r.code).toBe(0);
    expect(r.json().revoked_at).toBeTruthy();
    expect((await h.json('GET', `/admin/v1/tenants/${t.id}`, { key: k.key })).status).toBe(401);
  });

  it('never prints a key id where the secret should be, nor the secret in the audit log', async () => {
    const t = await h.createTenant('Acme');
    const k = (await run('apikey', 'create', '--tenant', t.id, '--json')).json();
    const secret = k.key.split('_').slice(3).join('_');
    const exported = await run('audit', 'export', '--tenant', t.id);
    expect(exported.stdout).not.toContain(secret);
    expect(exported.stdout).toContain(k.id);
  });
});

describe('CLI: the platform chain and deleted tenants', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());
  const run = (...args: string[]) => cli([...args, '--data-dir', h.dir]);

  it("exports and verifies the platform's own chain, and a deleted tenant's by its id", async () => {
    const made = (await run('apikey', 'create', '--platform', '--name', 'ops', '--json')).json();
    const platform = (await run('audit', 'export', '--platform')).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(platform.some((e: { action: string; target: { id: string } | null }) => e.action === 'api_key.created' && e.target?.id === made.id)).toBe(true);
    expect(platform.every((e: { tenant_id: string }) => e.tenant_id === 'platform')).toBe(true);
    const verified = await run('audit', 'verify', '--platform', '--json');
    expect([verified.code, verified.json().ok]).toEqual([0, true]);
    const t = await h.createTenant('Gone');
    expect((await h.request('DELETE', `/admin/v1/tenants/${t.id}`)).status).toBe(204);
    const actions = (await run('audit', 'export', '--tenant', t.id)).stdout.trim().split('\n').map((l) => JSON.parse(l).action);
    expect(actions).toEqual(expect.arrayContaining(['tenant.created', 'tenant.deleted']));
    expect((await run('audit', 'verify', '--tenant', t.id, '--json')).json()).toMatchObject({ ok: true });
    const both = await run('audit', 'export', '--platform', '--tenant', t.id);
    expect([both.code, both.stderr]).toEqual([2, expect.stringMatching(/not both/)]);
  });
});

describe('CLI usage and errors', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());
  const run = (...args: string[]) => cli([...args, '--data-dir', h.dir]);

  it.each(commands.map((c) => [c.path.join(' '), c]))('prints help for %s', async (_name, command) => {
    const r = await cli([...command.path, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(command.usage);
  });

  it('prints the command list for --help and nothing', async () => {
    for (const args of [['--help'], []]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('tenant create');
    }
  });

  it.each([
    [['tenant', 'create'], /--name is required/],
    [['tenant', 'create', '--name', 'x', '--colour', 'red'], /Unknown option '--colour'/],
    [['apikey', 'create'], /exactly one of --platform or --tenant/],
    [['apikey', 'create', '--platform', '--tenant', 'x'], /exactly one of --platform or --tenant/],
    [['apikey', 'create', '--tenant', 'x', '--scopes', 'root'], /unknown scope root/],
    [['apikey', 'revoke'], /give the key id/],
    [['audit', 'export', '--tenant', 'x', '--format', 'xml'], /--format is ndjson or csv/],
    [['audit', 'export', '--tenant', 'x', '--since', 'yesterday'], /--since must be an ISO 8601 time/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const r = await run(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
  });

  it('exits 1 for a tenant that does not exist, with a JSON error under --json', async () => {
    const r = await run('apikey', 'create', '--tenant', 'nope', '--json');
    expect(r.code).toBe(1);
    expect(r.json()).toEqual({ error: { code: 'not_found', message: 'The tenant does not exist.' } });
    expect(r.stderr).toMatch(/tenant does not exist/);
  });

  it('exits 1 for a duplicate slug and an unknown key id', async () => {
    await run('tenant', 'create', '--name', 'A', '--slug', 'dup');
    expect((await run('tenant', 'create', '--name', 'B', '--slug', 'dup')).code).toBe(1);
    expect((await run('apikey', 'revoke', 'key_nope')).code).toBe(1);
  });

  it('exits 2 naming the variable when configuration is bad', async () => {
    const r = await cli(['tenant', 'list', '--data-dir', h.dir], { PORTCULLIS_BASE_URL: 'nope' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PORTCULLIS_BASE_URL');
  });

  it('migrates a fresh data dir and reports nothing to do the second time', async () => {
    const dir = `${h.dir}/fresh`;
    const first = await cli(['migrate', '--data-dir', dir, '--json']);
    expect(first.json().applied.length).toBeGreaterThan(0);
    const second = await cli(['migrate', '--data-dir', dir, '--json']);
    expect(second.json().applied).toEqual([]);
  });
});
