import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashAuditRow, type AuditRow } from './chain.ts';
import { verifyChain } from './verify.ts';

function chain(n: number): AuditRow[] {
  const rows: AuditRow[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const unhashed = {
      chain: 't', seq, id: `evt_${seq}`, occurred_at: `2026-01-01T00:00:0${seq}.000Z`, action: 'tenant.updated',
      actor_type: 'cli', actor_id: null, credential_id: null, ip: null, user_agent: null, request_id: null,
      target_type: 'tenant', target_id: 't', before_json: null, after_json: `{"n":${seq}}`, metadata_json: null,
      prev_hash: prev,
    };
    const row = { ...unhashed, hash: hashAuditRow(unhashed) };
    rows.push(row);
    prev = row.hash;
  }
  return rows;
}
const headOf = (rows: AuditRow[]) => ({ seq: rows.length, hash: rows[rows.length - 1]?.hash ?? GENESIS_HASH });

describe('audit chain verification', () => {
  it('accepts an intact chain', () => {
    const rows = chain(5);
    expect(verifyChain(rows, headOf(rows))).toMatchObject({ ok: true, events: 5 });
  });

  it('names an edited event', () => {
    const rows = chain(5);
    const edited = rows.map((r) => (r.seq === 3 ? { ...r, after_json: '{"n":999}' } : r));
    expect(verifyChain(edited, headOf(rows))).toMatchObject({ ok: false, first_bad: { seq: 3, id: 'evt_3' } });
  });

  it('names the event after a deleted one', () => {
    const rows = chain(5);
    const result = verifyChain(rows.filter((r) => r.seq !== 2), headOf(rows));
    expect(result).toMatchObject({ ok: false, first_bad: { seq: 3 } });
  });

  it('detects two events swapped, even with their sequence numbers swapped too', () => {
    const rows = chain(5);
    const a = rows[1] as AuditRow;
    const b = rows[2] as AuditRow;
    const swapped = [rows[0], { ...b, seq: 2 }, { ...a, seq: 3 }, rows[3], rows[4]] as AuditRow[];
    expect(verifyChain(swapped, headOf(rows))).toMatchObject({ ok: false, first_bad: { seq: 2 } });
  });

  it('detects events cut from the end against the recorded head', () => {
    const rows = chain(5);
    expect(verifyChain(rows.slice(0, 3), headOf(rows))).toMatchObject({ ok: false, first_bad: { seq: 4, id: null } });
  });

  it('detects a rehashed forgery that does not chain to its predecessor', () => {
    const rows = chain(3);
    const forged = { ...(rows[1] as AuditRow), after_json: '{"n":"forged"}', prev_hash: 'f'.repeat(64) };
    const { hash: _, ...unhashed } = forged;
    const rehashed = { ...forged, hash: hashAuditRow(unhashed) };
    expect(verifyChain([rows[0] as AuditRow, rehashed, rows[2] as AuditRow], headOf(rows))).toMatchObject({
      ok: false,
      first_bad: { seq: 2 },
    });
  });
});
