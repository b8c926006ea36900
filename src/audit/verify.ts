import { GENESIS_HASH, hashAuditRow, type AuditRow } from './chain.ts';

export type VerifyResult =
  | { ok: true; events: number; head_hash: string }
  | { ok: false; events_checked: number; first_bad: { seq: number; id: string | null }; reason: string };

/**
 * Walks a chain in sequence order and reports the first event that was edited, deleted,
 * inserted or moved: a gap in `seq`, a `prev_hash` that does not match its predecessor, a
 * hash that does not match the row, or a chain that ends before the recorded head.
 */
export function verifyChain(rows: Iterable<AuditRow>, head: { seq: number; hash: string } | undefined): VerifyResult {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  for (const row of rows) {
    const bad = (reason: string): VerifyResult => ({
      ok: false,
      events_checked: count,
      first_bad: { seq: row.seq, id: row.id },
      reason,
    });
    if (row.seq !== expectedSeq) {
      return bad(`expected event #${expectedSeq} but found #${row.seq}: events were deleted or reordered`);
    }
    if (row.prev_hash !== prevHash) return bad('prev_hash does not match the previous event: the chain was altered');
    const { hash, ...unhashed } = row;
    if (hashAuditRow(unhashed) !== hash) return bad('the event content does not match its hash: it was edited');
    prevHash = hash;
    expectedSeq++;
    count++;
  }
  if (head && (head.seq !== count || head.hash !== prevHash)) {
    return {
      ok: false,
      events_checked: count,
      first_bad: { seq: count + 1, id: null },
      reason: `the chain ends at event #${count} but its head records #${head.seq}: events were removed from the end`,
    };
  }
  return { ok: true, events: count, head_hash: prevHash };
}
