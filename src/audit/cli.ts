import type { Command } from '../cli/command.ts';
import { UsageError, requireString } from '../cli/command.ts';
import { csvHeader, csvLine, ndjsonLine } from './export.ts';
import { PLATFORM_CHAIN } from './events.ts';
import { auditInstant, isIsoInstant } from './time-filter.ts';
import type { Services } from '../services.ts';

export const auditCommands: Command[] = [
  {
    path: ['audit', 'export'],
    summary: 'Write a tenant\'s (or the platform\'s) audit events to stdout, oldest first',
    usage: 'portcullis audit export (--tenant T | --platform) [--since ISO] [--until ISO] [--format ndjson|csv]',
    options: { tenant: { type: 'string' }, platform: { type: 'boolean' }, since: { type: 'string' }, until: { type: 'string' }, format: { type: 'string' } },
    run(ctx, values) {
      const format = values.format ?? 'ndjson';
      if (format !== 'ndjson' && format !== 'csv') throw new UsageError('--format is ndjson or csv');
      const since = isoOption(values, 'since');
      const until = isoOption(values, 'until');
      // An empty window is a mistake (reversed bounds), not an empty log: say so rather than print nothing.
      if (since !== undefined && until !== undefined && since >= until) throw new UsageError('--since must be before --until');
      const s = ctx.services();
      const chain = chainOf(s, values);
      if (format === 'csv') ctx.write(csvHeader());
      for (const e of s.audit.export(chain, { since, until })) ctx.write(format === 'csv' ? csvLine(e) : ndjsonLine(e));
    },
  },
  {
    path: ['audit', 'verify'],
    summary: 'Check a tenant\'s (or the platform\'s) audit hash chain; exits 1 and names the first bad event if it was altered',
    usage: 'portcullis audit verify (--tenant T | --platform) [--json]',
    options: { tenant: { type: 'string' }, platform: { type: 'boolean' } },
    run(ctx, values) {
      const s = ctx.services();
      const chain = chainOf(s, values);
      const result = s.audit.verify(chain);
      ctx.print({ tenant_id: chain, ...result }, (r) =>
        r.ok
          ? `OK: ${r.events} events, chain intact (head ${r.head_hash.slice(0, 16)}…)`
          : `TAMPERED: first bad event #${r.first_bad.seq}${r.first_bad.id ? ` (${r.first_bad.id})` : ''}: ${r.reason}`,
      );
      return result.ok ? 0 : 1;
    },
  },
];

/**
 * Whose chain: `--platform` (platform keys, OIDC signing keys), or `--tenant` by id or slug. A
 * deleted tenant's chain stays readable by its id: deletion is soft so that its log survives.
 */
function chainOf(s: Services, values: Record<string, unknown>): string {
  if (values.platform === true) {
    if (values.tenant !== undefined) throw new UsageError('give --tenant or --platform, not both');
    return PLATFORM_CHAIN;
  }
  if (values.tenant === undefined) throw new UsageError('give --tenant T (a tenant id or slug) or --platform');
  const ref = requireString(values, 'tenant');
  const deleted = s.storage.unscoped.tenants.findById(ref);
  return deleted?.deleted_at ? deleted.id : s.tenants.get(ref).id;
}

function isoOption(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !isIsoInstant(v)) throw new UsageError(`--${name} must be an ISO 8601 time with Z or an offset, e.g. 2026-06-01T12:00:00Z`);
  const iso = auditInstant(v);
  if (iso === null) throw new UsageError(`--${name} must fall within the years 0000-9999 in UTC`);
  return iso;
}
