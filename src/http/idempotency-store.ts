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

/** A reservation whose request never finished (the process died) frees its key after this long. */
export const ABANDONED_AFTER_MS = 5 * 60 * 1000;

/**
 * Idempotency records, keyed by (credential, key): a key is private to the credential that
 * sent it. Responses are stored sealed (see idempotency.ts), never in the clear. A reservation
 * is identified by its `created_at`: a request completes or releases only its own.
 */
export class SqliteIdempotencyStore {
  constructor(private readonly sql: Sql) {}

  /**
   * Reserves the key for an in-flight request. False when a live record already holds it: a
   * finished one within its 24 h, or one still running. A reservation left unfinished for
   * `ABANDONED_AFTER_MS` (its process crashed) no longer holds the key.
   */
  reserve(r: Omit<IdempotencyRecord, 'status' | 'response_sealed'>, now: string): boolean {
    const abandoned = new Date(Date.parse(now) - ABANDONED_AFTER_MS).toISOString();
    return this.sql.transaction(() => {
      this.sql
        .prepare(
          `DELETE FROM idempotency_keys WHERE credential_id = ? AND idempotency_key = ?
             AND (expires_at <= ? OR (status IS NULL AND created_at <= ?))`,
        )
        .run(r.credential_id, r.idempotency_key, now, abandoned);
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

  /** Stores the reply of the reservation made at `createdAt` (not of a later one that took the key over). */
  complete(credentialId: string, key: string, createdAt: string, status: number, sealed: string): void {
    this.sql
      .prepare(
        'UPDATE idempotency_keys SET status = ?, response_sealed = ? WHERE credential_id = ? AND idempotency_key = ? AND created_at = ? AND status IS NULL',
      )
      .run(status, sealed, credentialId, key, createdAt);
  }

  release(credentialId: string, key: string, createdAt: string): void {
    this.sql
      .prepare('DELETE FROM idempotency_keys WHERE credential_id = ? AND idempotency_key = ? AND created_at = ? AND status IS NULL')
      .run(credentialId, key, createdAt);
  }

  purgeExpired(now: string): number {
    return this.sql.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?').run(now).changes;
  }
}
