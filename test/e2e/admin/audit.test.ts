import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { cli } from '../../helpers/cli.ts';

describe('audit log', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());

  const events = async (tenant: string, query = '') =>
    (await h.json('GET', `/admin/v1/tenants/${tenant}/audit${query}`)).body.data as any[];

  it('records who did what for every change, newest first', async () => {
    const t = await h.createTenant('Acme');
    const key = await h.tenantKey(t.id, ['admin']);
    await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { key: key.key, body: { name: 'Acme Inc' }, headers: { 'user-agent': 'okta-admin/1.0', 'x-request-id': 'trace-123' } });
    await h.json('DELETE', `/admin/v1/tenants/${t.id}/api-keys/${key.id}`);
    await h.json('POST', `/admin/v1/tenants/${t.id}/suspend`);
    await h.json('POST', `/admin/v1/tenants/${t.id}/resume`);
    await h.request('DELETE', `/admin/v1/tenants/${t.id}`);

    const chain = h.services.storage.unscoped.auditChain(t.id).query({ order: 'asc', limit: 100 });
    expect(chain.map((e) => e.action)).toEqual([
      'tenant.created', 'authz.model.written', 'api_key.created', 'tenant.updated', 'api_key.revoked', 'tenant.suspended', 'tenant.resumed', 'tenant.deleted',
    ]);
    const update = chain[3]!;
    expect(update.actor).toMatchObject({ type: 'tenant_key', credential_id: key.id, user_agent: 'okta-admin/1.0' });
    expect(update.request_id).toBe('trace-123');
    expect(update.before).toMatchObject({ name: 'Acme' });
    expect(update.after).toMatchObject({ name: 'Acme Inc' });
    expect(chain[7]!.metadata).toEqual({ api_keys_revoked: 0 });
    expect(chain[0]!.actor.type).toBe('platform_key');
  });

  it('filters by action, actor, target and time, and pages with a cursor', async () => {
    const t = await h.createTenant('Acme');
    const key = await h.tenantKey(t.id, ['admin']);
    for (let i = 0; i < 5; i++) {
      h.clock.advance(60_000);
      await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { key: key.key, body: { name: `Name ${i}` } });
    }
    expect(await events(t.id, '?action=tenant.updated')).toHaveLength(5);
    expect(await events(t.id, `?actor=${key.id}`)).toHaveLength(5);
    expect(await events(t.id, `?target_type=api_key&target_id=${key.id}`)).toHaveLength(1);
    const since = new Date(h.clock.now().getTime() - 150_000).toISOString();
    expect(await events(t.id, `?action=tenant.updated&since=${since}`)).toHaveLength(3);
    expect(await events(t.id, `?until=${since}`)).toHaveLength(5);

    const seen: number[] = [];
    let cursor = '';
    do {
      const page = await h.json('GET', `/admin/v1/tenants/${t.id}/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.data.map((e: any) => e.seq));
      cursor = page.body.next_cursor ?? '';
    } while (cursor);
    expect(seen).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('exports NDJSON and CSV through the API, oldest first, identical to the CLI export', async () => {
    const t = await h.createTenant('Acme');
    await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: 'Acme, "Inc"' } });
    const ndjson = await h.request('GET', `/admin/v1/tenants/${t.id}/audit/export`);
    expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await ndjson.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.seq)).toEqual([1, 2, 3]);
    const csv = await (await h.request('GET', `/admin/v1/tenants/${t.id}/audit/export?format=csv`)).text();
    expect(csv.split('\r\n')[0]).toMatch(/^seq,id,occurred_at,action/);
    expect(csv).toContain('""Acme, \\""Inc\\""""');

    const fromCli = await cli(['audit', 'export', '--tenant', t.slug, '--data-dir', h.dir]);
    expect(fromCli.code).toBe(0);
    expect(fromCli.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual(lines);
    const csvCli = await cli(['audit', 'export', '--tenant', t.id, '--format', 'csv', '--data-dir', h.dir]);
    expect(csvCli.stdout).toBe(csv);
  });

  it('says what is missing or reversed instead of printing nothing: no chain named, --since not before --until', async () => {
    const t = await h.createTenant('Acme');
    const none = await cli(['audit', 'verify', '--data-dir', h.dir]);
    expect([none.code, none.stderr]).toEqual([2, expect.stringContaining('give --tenant T (a tenant id or slug) or --platform')]);
    const reversed = await cli(['audit', 'export', '--tenant', t.id, '--since', '2026-06-02T00:00:00Z', '--until', '2026-06-01T00:00:00Z', '--data-dir', h.dir]);
    expect([reversed.code, reversed.stdout, reversed.stderr]).toEqual([2, '', expect.stringContaining('--since must be before --until')]);
    const ok = await cli(['audit', 'export', '--tenant', t.id, '--since', '2000-01-01T00:00:00Z', '--until', '2999-01-01T00:00:00Z', '--data-dir', h.dir]);
    const all = await cli(['audit', 'export', '--tenant', t.id, '--data-dir', h.dir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(all.stdout);
    expect(ok.stdout.trim().length).toBeGreaterThan(0);
  });

  it('writes CSV that Python\'s csv module reads back into the same values as the NDJSON export', async () => {
    const t = await h.createTenant('Acme');
    const awkward = 'Acme, "Inc"\r\nline two, =SUM(A1) and a tab\there';
    await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: awkward } });
    const ndjson = (await (await h.request('GET', `/admin/v1/tenants/${t.id}/audit/export`)).text()).trim().split('\n').map((l) => JSON.parse(l));
    const csv = await (await h.request('GET', `/admin/v1/tenants/${t.id}/audit/export?format=csv`)).text();
    const file = join(h.dir, 'audit.csv');
    writeFileSync(file, csv);
    const read = spawnSync('python3', ['-c', 'import csv, json, sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline="")))))', file], { encoding: 'utf8' });
    expect(read.stderr).toBe('');
    const rows = JSON.parse(read.stdout) as Record<string, string>[];
    expect(rows).toHaveLength(ndjson.length);
    for (const [i, e] of ndjson.entries()) {
      const row = rows[i] as Record<string, string>;
      expect(Number(row.seq)).toBe(e.seq);
      expect(row.hash).toBe(e.hash);
      expect(row.action).toBe(e.action);
      expect(row.after ? JSON.parse(row.after) : null).toEqual(e.after ?? null);
    }
    expect(JSON.parse((rows[rows.length - 1] as Record<string, string>).after as string).name).toBe(awkward);
  });

  it('does not write an event for a refused change', async () => {
    const t = await h.createTenant('Acme');
    await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { slug: 'BAD SLUG' } });
    await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: 'x' }, headers: { 'If-Match': '"42"' } });
    expect((await events(t.id)).map((e) => e.action)).toEqual(['authz.model.written', 'tenant.created']);
  });
});

describe('audit tamper detection', () => {
  let h: Harness;
  let tenantId: string;
  beforeEach(async () => {
    h = new Harness();
    const t = await h.createTenant('Acme');
    tenantId = t.id;
    for (let i = 0; i < 4; i++) await h.json('PATCH', `/admin/v1/tenants/${t.id}`, { body: { name: `N${i}` } });
    // An attacker with file access would first remove the append-only triggers.
    h.services.storage.sql.raw.exec('DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;');
  });
  afterEach(() => h.close());

  const verify = () => cli(['audit', 'verify', '--tenant', tenantId, '--data-dir', h.dir, '--json']);
  const db = () => h.services.storage.sql.raw;

  it('reports an intact chain', async () => {
    const r = await verify();
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ ok: true, events: 6 });
  });

  it('detects an edited event and names it', async () => {
    db().prepare(`UPDATE audit_events SET after_json = '{"name":"evil"}' WHERE chain = ? AND seq = 3`).run(tenantId);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ ok: false, first_bad: { seq: 3 } });
    const id = (db().prepare('SELECT id FROM audit_events WHERE chain = ? AND seq = 3').get(tenantId) as { id: string }).id;
    expect(r.json().first_bad.id).toBe(id);
    const human = await cli(['audit', 'verify', '--tenant', tenantId, '--data-dir', h.dir]);
    expect(human.stdout).toMatch(/TAMPERED: first bad event #3/);
  });

  it('detects a deleted event', async () => {
    db().prepare('DELETE FROM audit_events WHERE chain = ? AND seq = 2').run(tenantId);
    const r = await verify();
    expect([r.code, r.json().first_bad.seq]).toEqual([1, 3]);
  });

  it('detects reordered events', async () => {
    const swap = db().prepare('UPDATE audit_events SET seq = ? WHERE chain = ? AND seq = ?');
    swap.run(100, tenantId, 2);
    swap.run(2, tenantId, 3);
    swap.run(3, tenantId, 100);
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.json().first_bad.seq).toBe(2);
  });

  it('detects the newest events cut off', async () => {
    db().prepare('DELETE FROM audit_events WHERE chain = ? AND seq >= 4').run(tenantId);
    const r = await verify();
    expect([r.code, r.json().first_bad.seq]).toEqual([1, 4]);
  });

  it('answers the verdict over the API too', async () => {
    db().prepare(`UPDATE audit_events SET action = 'tenant.created' WHERE chain = ? AND seq = 5`).run(tenantId);
    const r = await h.json('GET', `/admin/v1/tenants/${tenantId}/audit/verify`);
    expect(r.body).toMatchObject({ ok: false, first_bad: { seq: 5 } });
  });
});
