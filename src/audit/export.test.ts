import { describe, expect, it } from 'vitest';
import { csvHeader, csvLine, ndjsonLine } from './export.ts';
import type { AuditEvent } from './events.ts';

const event: AuditEvent = {
  id: 'evt_1', tenant_id: 't', seq: 1, occurred_at: '2026-01-01T00:00:00.000Z', action: 'tenant.updated',
  actor: { type: 'tenant_key', id: 'key_1', credential_id: 'key_1', ip: '127.0.0.1', user_agent: 'curl, "quoted"\nline' },
  request_id: 'req_1', target: { type: 'tenant', id: 't' }, before: { name: 'A' }, after: { name: '=HYPERLINK("x")' },
  metadata: null, prev_hash: '0', hash: '1',
};

describe('audit export formats', () => {
  it('writes one JSON object per NDJSON line', () => {
    const line = ndjsonLine(event);
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual(event);
  });

  it('quotes CSV cells with commas, quotes and newlines', () => {
    const cells = csvLine(event);
    expect(csvHeader().split(',')).toHaveLength(17);
    expect(cells).toContain('"curl, ""quoted""\nline"');
  });

  it('defuses cells a spreadsheet would run as formulas', () => {
    const bad = { ...event, action: '=cmd|calc', after: null };
    expect(csvLine(bad)).toContain(`'=cmd|calc`);
  });
});
