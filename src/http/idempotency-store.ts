import type { Sql } from '../storage/database.ts';

export interface IdempotencyRecord {
  credential_id: string;
  idempotency_key: string;
  request_hash: string;
  status: number | null;
  response_sealed: string | null;
  created_at: string;
  expires_at: string;
}

/**
 * Idempotency records, keyed by (credential, key): a key is private to the credential that
 * sent it. Responses are stored sealed (see idempotency.ts), never in the clear.
 */
export class SqliteIdempotencyStore {
  constructor(private readonly sql: Sql) {}

  /** Reserves the key for an in-flight request. False when a live record already holds it. */
  reserve(r: Omit<IdempotencyRecord, 'status' | 'response_sealed'>, now: string): boolean {
    return this.sql.transaction(() => {
      this.sql
        .prepare('DELETE FROM idempotency_keys WHERE credential_id = ? AND idempotency_key = ? AND expires_at <= ?')
        .run(r.credential_id, r.idempotency_key, now);
      const result = this.sql
        .prepare(
          `INSERT INTO idempotency_keys (credential_id, idempotency_key, request_hash, status, response_sealed, created_at, expires_at)
           VALUES (@credential_id, @idempotency_key, @request_hash, NULL, NULL, @created_at, @expires_at)
           ON CONFLICT DO NOTHING`,
        )
        .run(r);
      return result.changes === 1;
    });
  }

  find(credentialId: string, key: string): IdempotencyRecord | undefined {
    return this.sql
      .prepare<[string, string], IdempotencyRecord>(
        'SELECT * FROM idempotency_keys WHERE credential_id = ? AND idempotency_key = ?',
      )
      .get(credentialId, key);
  }

  complete(credentialId: string, key: string, status: number, sealed: string): void {
    this.sql
      .prepare('UPDATE idempotency_keys SET status = ?, response_sealed = ? WHERE credential_id = ? AND idempotency_key = ?')
      .run(status, sealed, credentialId, key);
  }

  release(credentialId: string, key: string): void {
    this.sql.prepare('DELETE FROM idempotency_keys WHERE credential_id = ? AND idempotency_key = ?').run(credentialId, key);
  }

  purgeExpired(now: string): number {
    return this.sql.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?').run(now).changes;
  }
}
