import type { Sql } from '../../storage/database.ts';

/**
 * The latest instant stored: ISO strings compare in time order only up to year 9999 (year 10000
 * is written `+010000-…`, which sorts before every 4-digit year), and an IdP writing "never" as
 * 9999-12-31T23:59:59Z plus the skew margin lands there.
 */
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/** Assertion ids already accepted, per connection, kept until the assertion would have expired anyway. */
export class SamlReplayCache {
  constructor(private readonly sql: Sql) {}

  /** Records the id; false when it was already seen (a replay). Call inside the login transaction. */
  remember(connectionId: string, assertionId: string, expiresAt: Date, now: Date): boolean {
    this.sql.prepare('DELETE FROM saml_replay_cache WHERE connection_id = ? AND assertion_id = ? AND expires_at <= ?').run(
      connectionId,
      assertionId,
      now.toISOString(),
    );
    return (
      this.sql
        .prepare('INSERT OR IGNORE INTO saml_replay_cache (connection_id, assertion_id, expires_at) VALUES (?, ?, ?)')
        .run(connectionId, assertionId, new Date(Math.min(expiresAt.getTime(), LATEST)).toISOString()).changes === 1
    );
  }

  purgeExpired(now: Date): number {
    return this.sql.prepare('DELETE FROM saml_replay_cache WHERE expires_at <= ?').run(now.toISOString()).changes;
  }
}
