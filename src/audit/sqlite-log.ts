import type { Sql } from '../storage/database.ts';
import { newId } from '../lib/ids.ts';
import { GENESIS_HASH, hashAuditRow, type AuditRow } from './chain.ts';
import type { Actor, AuditEvent, AuditEventInput } from './events.ts';

/** Filters for reading a chain. Times are ISO strings, inclusive `since`, exclusive `until`. */
export interface AuditQuery {
  actor?: string;
  action?: string;
  target_type?: string;
  target_id?: string;
  since?: string;
  until?: string;
  /** Only events with seq below (newest-first pages) or above (oldest-first) this. */
  beforeSeq?: number;
  afterSeq?: number;
  order: 'asc' | 'desc';
  limit: number;
}

/**
 * One tenant's hash-chained audit log. `append` must run inside the same write transaction as
 * the change it records: the caller's `storage.transaction`.
 */
export class SqliteAuditLog {
  constructor(
    private readonly sql: Sql,
    readonly chain: string,
  ) {}

  append(input: AuditEventInput, actor: Actor, at: Date): AuditEvent {
    const head = this.sql
      .prepare<[string], { seq: number; hash: string }>('SELECT seq, hash FROM audit_heads WHERE chain = ?')
      .get(this.chain);
    const unhashed: Omit<AuditRow, 'hash'> = {
      chain: this.chain,
      seq: (head?.seq ?? 0) + 1,
      id: newId('evt', at.getTime()),
      occurred_at: at.toISOString(),
      action: input.action,
      actor_type: actor.type,
      actor_id: actor.id,
      credential_id: actor.credential_id,
      ip: actor.ip,
      user_agent: actor.user_agent,
      request_id: actor.request_id,
      target_type: input.target?.type ?? null,
      target_id: input.target?.id ?? null,
      before_json: input.before === undefined ? null : JSON.stringify(input.before),
      after_json: input.after === undefined ? null : JSON.stringify(input.after),
      metadata_json: input.metadata === undefined ? null : JSON.stringify(input.metadata),
      prev_hash: head?.hash ?? GENESIS_HASH,
    };
    const row: AuditRow = { ...unhashed, hash: hashAuditRow(unhashed) };
    this.sql
      .prepare(
        `INSERT INTO audit_events (chain, seq, id, occurred_at, action, actor_type, actor_id, credential_id, ip,
           user_agent, request_id, target_type, target_id, before_json, after_json, metadata_json, prev_hash, hash)
         VALUES (@chain, @seq, @id, @occurred_at, @action, @actor_type, @actor_id, @credential_id, @ip,
           @user_agent, @request_id, @target_type, @target_id, @before_json, @after_json, @metadata_json, @prev_hash, @hash)`,
      )
      .run(row);
    this.sql
      .prepare(
        `INSERT INTO audit_heads (chain, seq, hash) VALUES (?, ?, ?)
         ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
      )
      .run(row.chain, row.seq, row.hash);
    return toEvent(row);
  }

  query(q: AuditQuery): AuditEvent[] {
    const where = ['chain = @chain'];
    const params: Record<string, unknown> = { chain: this.chain, limit: q.limit };
    const add = (clause: string, key: string, value: unknown) => {
      if (value === undefined) return;
      where.push(clause);
      params[key] = value;
    };
    add('(actor_id = @actor OR credential_id = @actor)', 'actor', q.actor);
    add('action = @action', 'action', q.action);
    add('target_type = @target_type', 'target_type', q.target_type);
    add('target_id = @target_id', 'target_id', q.target_id);
    add('occurred_at >= @since', 'since', q.since);
    add('occurred_at < @until', 'until', q.until);
    add('seq < @beforeSeq', 'beforeSeq', q.beforeSeq);
    add('seq > @afterSeq', 'afterSeq', q.afterSeq);
    const order = q.order === 'asc' ? 'ASC' : 'DESC';
    const rows = this.sql
      .prepare<Record<string, unknown>, AuditRow>(
        `SELECT * FROM audit_events WHERE ${where.join(' AND ')} ORDER BY seq ${order} LIMIT @limit`,
      )
      .all(params);
    return rows.map(toEvent);
  }

  /** Every stored row in sequence order, for verification. */
  *rows(): Generator<AuditRow> {
    yield* this.sql
      .prepare<[string], AuditRow>('SELECT * FROM audit_events WHERE chain = ? ORDER BY seq ASC')
      .iterate(this.chain);
  }

  head(): { seq: number; hash: string } | undefined {
    return this.sql
      .prepare<[string], { seq: number; hash: string }>('SELECT seq, hash FROM audit_heads WHERE chain = ?')
      .get(this.chain);
  }
}

function parse(json: string | null): unknown {
  return json === null ? null : JSON.parse(json);
}

export function toEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    tenant_id: row.chain,
    seq: row.seq,
    occurred_at: row.occurred_at,
    action: row.action,
    actor: {
      type: row.actor_type,
      id: row.actor_id,
      credential_id: row.credential_id,
      ip: row.ip,
      user_agent: row.user_agent,
    },
    request_id: row.request_id,
    target: row.target_type && row.target_id ? { type: row.target_type, id: row.target_id } : null,
    before: parse(row.before_json),
    after: parse(row.after_json),
    metadata: parse(row.metadata_json) as Record<string, unknown> | null,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}
