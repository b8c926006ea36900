/** What one access-log line records: fixed fields chosen by the request context, never a secret. */
export interface AccessEntry {
  requestId: string;
  method: string;
  path: string;
  route: string;
  status: number;
  durationMs: number;
  tenantId?: string | undefined;
  principal?: { kind: string; credentialId: string } | undefined;
  ip?: string | null | undefined;
}

/** Printable ASCII without `"` and `\`: written between quotes as it is, no escaping needed. */
const PLAIN = /^[ !#-[\]-~]*$/;
const str = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));

let isoMs = Number.NaN;
let iso = '';
/** The current time as pino's isoTime writes it, formatted once per millisecond. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    iso = new Date(ms).toISOString();
  }
  return iso;
}

/**
 * The access line in the same JSON shape as the logger's own lines (level, time, service, the
 * fields, msg), built by hand: at one line per request, generic serialisation and redaction
 * cost more than a cheap request. Absent optional fields are left out, as JSON.stringify would.
 */
export function accessLine(e: AccessEntry): string {
  let line = `{"level":"info","time":"${isoNow()}","service":"portcullis","request_id":${str(e.requestId)},"method":${str(e.method)},"path":${str(e.path)},"route":${str(e.route)},"status":${e.status},"duration_ms":${Number.isFinite(e.durationMs) ? e.durationMs : null}`;
  if (e.tenantId !== undefined) line += `,"tenant_id":${str(e.tenantId)}`;
  if (e.principal !== undefined) line += `,"principal":{"kind":${str(e.principal.kind)},"credential_id":${str(e.principal.credentialId)}}`;
  if (e.ip !== undefined) line += `,"ip":${e.ip === null ? 'null' : str(e.ip)}`;
  return `${line},"msg":"request"}\n`;
}
