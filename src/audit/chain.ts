import { sha256Hex } from '../lib/crypto.ts';
import { canonicalJson } from '../lib/canonical-json.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** The stored columns of one event, exactly as hashed. */
export interface AuditRow {
  chain: string;
  seq: number;
  id: string;
  occurred_at: string;
  action: string;
  actor_type: string;
  actor_id: string | null;
  credential_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  target_type: string | null;
  target_id: string | null;
  before_json: string | null;
  after_json: string | null;
  metadata_json: string | null;
  prev_hash: string;
  hash: string;
}

/** hash = SHA-256(prev_hash || canonical JSON of every other column). */
export function hashAuditRow(row: Omit<AuditRow, 'hash'>): string {
  const { prev_hash, ...fields } = row;
  return sha256Hex(`${prev_hash}\n${canonicalJson(fields)}`);
}
