import type { AuditEvent } from './events.ts';

export type ExportFormat = 'ndjson' | 'csv';

export const CSV_COLUMNS = [
  'seq', 'id', 'occurred_at', 'action', 'actor_type', 'actor_id', 'credential_id', 'ip', 'user_agent',
  'request_id', 'target_type', 'target_id', 'before', 'after', 'metadata', 'prev_hash', 'hash',
] as const;

export function csvHeader(): string {
  return CSV_COLUMNS.join(',') + '\r\n';
}

/** RFC 4180 quoting, plus a leading quote on cells a spreadsheet would run as a formula. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(e: AuditEvent): string {
  const cells: unknown[] = [
    e.seq, e.id, e.occurred_at, e.action, e.actor.type, e.actor.id, e.actor.credential_id, e.actor.ip,
    e.actor.user_agent, e.request_id, e.target?.type, e.target?.id, e.before, e.after, e.metadata,
    e.prev_hash, e.hash,
  ];
  return cells.map(csvCell).join(',') + '\r\n';
}

export function ndjsonLine(e: AuditEvent): string {
  return JSON.stringify(e) + '\n';
}
