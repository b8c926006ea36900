import type { Clock } from '../lib/clock.ts';
import { decodeCursor, toPage, type Page } from '../lib/pagination.ts';
import { badRequest } from '../http/errors.ts';
import type { Storage } from '../storage/storage.ts';
import { PLATFORM_CHAIN, type Actor, type AuditEvent, type AuditEventInput } from './events.ts';
import type { AuditQuery } from './sqlite-log.ts';
import { verifyChain, type VerifyResult } from './verify.ts';

export type AuditFilters = Pick<AuditQuery, 'actor' | 'action' | 'target_type' | 'target_id' | 'since' | 'until'>;

export class AuditService {
  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly onRecorded: (e: AuditEvent) => void = () => {},
  ) {}

  /** Appends to the tenant's chain. Call inside the transaction that makes the change. */
  record(tenantId: string, input: AuditEventInput, actor: Actor): AuditEvent {
    const event = this.storage.forTenant(tenantId).audit.append(input, actor, this.clock.now());
    this.onRecorded(event);
    return event;
  }

  /** Appends to the platform chain (changes that belong to no tenant, such as platform keys). */
  recordPlatform(input: AuditEventInput, actor: Actor): AuditEvent {
    const event = this.storage.unscoped.auditChain(PLATFORM_CHAIN).append(input, actor, this.clock.now());
    this.onRecorded(event);
    return event;
  }

  /** Newest first, `limit` per page. */
  list(tenantId: string, filters: AuditFilters, cursor: string | undefined, limit: number): Page<AuditEvent> {
    const after = decodeCursor(cursor);
    const beforeSeq = after === undefined ? undefined : Number(after);
    if (beforeSeq !== undefined && !Number.isSafeInteger(beforeSeq)) {
      throw badRequest('invalid_cursor', 'The pagination cursor is not valid.');
    }
    const rows = this.storage.forTenant(tenantId).audit.query({ ...filters, beforeSeq, order: 'desc', limit: limit + 1 });
    return toPage(rows, limit, (e) => String(e.seq));
  }

  /** Every matching event, oldest first, read a page at a time. */
  *export(tenantId: string, filters: AuditFilters): Generator<AuditEvent> {
    const log = this.storage.forTenant(tenantId).audit;
    let afterSeq = 0;
    for (;;) {
      const rows = log.query({ ...filters, afterSeq, order: 'asc', limit: 500 });
      yield* rows;
      if (rows.length < 500) return;
      afterSeq = (rows[rows.length - 1] as AuditEvent).seq;
    }
  }

  verify(tenantId: string): VerifyResult {
    const log = this.storage.forTenant(tenantId).audit;
    return verifyChain(log.rows(), log.head());
  }
}
