import type { Command } from '../cli/command.ts';
import { UsageError, requireString } from '../cli/command.ts';
import { csvHeader, csvLine, ndjsonLine } from './export.ts';

export const auditCommands: Command[] = [
  {
    path: ['audit', 'export'],
    summary: 'Write a tenant\'s audit events to stdout, oldest first',
    usage: 'portcullis audit export --tenant T [--since ISO] [--until ISO] [--format ndjson|csv]',
    options: { tenant: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, format: { type: 'string' } },
    run(ctx, values) {
      const ref = requireString(values, 'tenant');
      const format = values.format ?? 'ndjson';
      if (format !== 'ndjson' && format !== 'csv') throw new UsageError('--format is ndjson or csv');
      const since = isoOption(values, 'since');
      const until = isoOption(values, 'until');
      const s = ctx.services();
      const tenant = s.tenants.get(ref);
      if (format === 'csv') ctx.write(csvHeader());
      for (const e of s.audit.export(tenant.id, { since, until })) ctx.write(format === 'csv' ? csvLine(e) : ndjsonLine(e));
    },
  },
  {
    path: ['audit', 'verify'],
    summary: 'Check a tenant\'s audit hash chain; exits 1 and names the first bad event if it was altered',
    usage: 'portcullis audit verify --tenant T [--json]',
    options: { tenant: { type: 'string' } },
    run(ctx, values) {
      const s = ctx.services();
      const tenant = s.tenants.get(requireString(values, 'tenant'));
      const result = s.audit.verify(tenant.id);
      ctx.print({ tenant_id: tenant.id, ...result }, (r) =>
        r.ok
          ? `OK: ${r.events} events, chain intact (head ${r.head_hash.slice(0, 16)}…)`
          : `TAMPERED: first bad event #${r.first_bad.seq}${r.first_bad.id ? ` (${r.first_bad.id})` : ''}: ${r.reason}`,
      );
      return result.ok ? 0 : 1;
    },
  },
];

function isoOption(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const d = new Date(String(v));
  if (typeof v !== 'string' || Number.isNaN(d.getTime())) throw new UsageError(`--${name} must be an ISO 8601 time`);
  const iso = d.toISOString();
  if (!/^\d{4}-/.test(iso)) throw new UsageError(`--${name} must fall within the years 0000-9999 in UTC`);
  return iso;
}
