import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { cli } from '../../helpers/cli.ts';

// Review finding: `since`/`until` bounds finer than a millisecond, and CLI times without an offset.
describe('audit export time filters', () => {
  let h: Harness;
  let tenantId: string;
  const savedTz = process.env.TZ;
  beforeEach(async () => {
    h = new Harness();
    tenantId = (await h.createTenant('Acme')).id; // events #1, #2 at 12:00:00.000Z
    h.clock.advance(60_000);
    await h.json('PATCH', `/admin/v1/tenants/${tenantId}`, { body: { name: 'Acme Inc' } }); // #3 at 12:01
  });
  afterEach(async () => {
    process.env.TZ = savedTz;
    if (savedTz === undefined) delete process.env.TZ;
    await h.close();
  });

  const exported = async (query: string) => {
    const res = await h.request('GET', `/admin/v1/tenants/${tenantId}/audit/export?${query}`);
    expect(res.status).toBe(200);
    return (await res.text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).seq as number);
  };

  it('keeps an event that happened before an `until` given with sub-millisecond digits', async () => {
    expect(await exported('until=2026-06-01T12:00:00.0005Z')).toEqual([1, 2]);
    expect(await exported('until=2026-06-01T12:00:00.000Z')).toEqual([]);
  });

  it('leaves out an event that happened before a `since` given with sub-millisecond digits', async () => {
    expect(await exported('since=2026-06-01T12:00:00.0005Z')).toEqual([3]);
    expect(await exported('since=2026-06-01T12:00:00.000Z')).toEqual([1, 2, 3]);
  });

  it('applies the same sub-millisecond bounds on the list endpoint', async () => {
    const { body } = await h.json('GET', `/admin/v1/tenants/${tenantId}/audit?until=2026-06-01T12:00:00.0005Z`);
    expect(body.data.map((e: any) => e.seq)).toEqual([2, 1]);
  });

  it('refuses a CLI time without a UTC offset instead of reading it in the server\'s local zone', async () => {
    process.env.TZ = 'America/New_York';
    const r = await cli(['audit', 'export', '--tenant', tenantId, '--since', '2026-06-01T12:00:30', '--data-dir', h.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--since/);
    expect(r.stdout).toBe('');
  });

  it('reads CLI times with an offset exactly as the API does, sub-millisecond digits included', async () => {
    process.env.TZ = 'America/New_York';
    const seqs = async (args: string[]) => {
      const r = await cli(['audit', 'export', '--tenant', tenantId, ...args, '--data-dir', h.dir]);
      expect(r.code).toBe(0);
      return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).seq as number);
    };
    expect(await seqs(['--since', '2026-06-01T08:00:30-04:00'])).toEqual([3]);
    expect(await seqs(['--until', '2026-06-01T12:00:00.0005Z'])).toEqual([1, 2]);
    expect(await seqs(['--since', '2026-06-01T12:00:00.0005Z'])).toEqual([3]);
  });
});
