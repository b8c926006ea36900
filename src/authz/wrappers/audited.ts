import type { TupleKey, TupleKeyWithoutCondition, WriteAuthorizationModelRequest } from '@openfga/sdk';
import { systemActor, type Actor, type AuditEventInput } from '../../audit/events.ts';
import type { AuditService } from '../../audit/service.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuthzEngine, WriteBody } from '../engine.ts';
import { DelegatingEngine } from './delegating.ts';

/** What the audit decorators need: where to write events, and which tenant owns a store. */
export interface AuthzAuditDeps {
  storage: Storage;
  audit: AuditService;
}

/**
 * An engine whose writes run synchronously in Portcullis' own database (the embedded engine):
 * they join the caller's `storage.transaction`, so the audit event commits with the change.
 */
export interface TransactionalWrites {
  writeSync(storeId: string, body: WriteBody): unknown;
  writeAuthorizationModelSync(storeId: string, body: WriteAuthorizationModelRequest): { authorization_model_id: string };
  deleteTuplesForUserSync(storeId: string, user: string): number;
}

/** How the transactional path reports its latency (the metrics decorator's `timeSync`). */
export type SyncTimer = <T>(operation: string, run: () => T) => T;

/** Transactional writes and how to time them. */
export interface Transactional {
  writes: TransactionalWrites;
  time: SyncTimer;
}

/**
 * Audits every model write and tuple write (`authz.model.written`, `authz.tuples.written`,
 * `authz.tuples.deleted`) on the chain of the tenant that owns the store (the platform chain for
 * a store no tenant owns). `as(actor)` gives the same engine attributing its writes to a request's
 * actor. When the inner engine applies writes synchronously in Portcullis' database
 * (`TransactionalWrites`, the embedded engine) the event is written in the same transaction;
 * for a remote server it is written right after the server accepted the change.
 */
export class AuditedAuthzEngine extends DelegatingEngine {
  constructor(
    inner: AuthzEngine,
    private readonly deps: AuthzAuditDeps,
    private readonly transactional?: Transactional,
    private readonly actor: Actor = systemActor(),
  ) {
    super(inner);
  }

  as(actor: Actor): AuditedAuthzEngine {
    return new AuditedAuthzEngine(this.inner, this.deps, this.transactional, actor);
  }

  override async writeAuthorizationModel(storeId: string, body: WriteAuthorizationModelRequest) {
    return this.#audited(
      storeId,
      'writeAuthorizationModel',
      () => this.inner.writeAuthorizationModel(storeId, body),
      (tx) => tx.writeAuthorizationModelSync(storeId, body),
      (res) => [modelEvent(storeId, body, res.authorization_model_id)],
    );
  }

  override async write(storeId: string, body: WriteBody): Promise<void> {
    await this.#audited(
      storeId,
      'write',
      () => this.inner.write(storeId, body),
      (tx) => void tx.writeSync(storeId, body),
      () => tupleEvents(storeId, body.writes?.tuple_keys ?? [], body.deletes?.tuple_keys ?? [], { authorization_model_id: body.authorization_model_id }),
    );
  }

  override async deleteTuplesForUser(storeId: string, user: string): Promise<number> {
    return this.#audited(
      storeId,
      'deleteTuplesForUser',
      () => this.inner.deleteTuplesForUser(storeId, user),
      (tx) => tx.deleteTuplesForUserSync(storeId, user),
      (count) => (count > 0 ? [bulkDeleteEvent(storeId, { user }, count)] : []),
    );
  }

  async #audited<T>(
    storeId: string,
    operation: string,
    remote: () => Promise<T>,
    local: (tx: TransactionalWrites) => T,
    events: (result: T) => AuditEventInput[],
  ): Promise<T> {
    const tx = this.transactional;
    if (tx) {
      return tx.time(operation, () =>
        this.deps.storage.transaction(() => {
          const result = local(tx.writes);
          recordAll(this.deps, storeId, events(result), this.actor);
          return result;
        }),
      );
    }
    const result = await remote();
    this.deps.storage.transaction(() => recordAll(this.deps, storeId, events(result), this.actor));
    return result;
  }
}

export function recordAll(deps: AuthzAuditDeps, storeId: string, events: AuditEventInput[], actor: Actor): void {
  if (events.length === 0) return;
  const tenant = deps.storage.unscoped.tenants.findByStoreId(storeId);
  for (const e of events) {
    if (tenant) deps.audit.record(tenant.id, e, actor);
    else deps.audit.recordPlatform(e, actor);
  }
}

export function modelEvent(storeId: string, body: WriteAuthorizationModelRequest, modelId: string): AuditEventInput {
  return {
    action: 'authz.model.written',
    target: { type: 'authorization_model', id: modelId },
    after: body,
    metadata: { store_id: storeId, schema_version: body.schema_version, types: body.type_definitions.map((t) => t.type) },
  };
}

export function tupleEvents(
  storeId: string,
  writes: TupleKey[],
  deletes: TupleKeyWithoutCondition[],
  extra: Record<string, unknown> = {},
): AuditEventInput[] {
  const target = { type: 'authz_store', id: storeId };
  const out: AuditEventInput[] = [];
  if (writes.length > 0) out.push({ action: 'authz.tuples.written', target, after: { tuples: writes }, metadata: { store_id: storeId, count: writes.length, ...defined(extra) } });
  if (deletes.length > 0) out.push({ action: 'authz.tuples.deleted', target, before: { tuples: deletes }, metadata: { store_id: storeId, count: deletes.length, ...defined(extra) } });
  return out;
}

/** A delete by filter (every tuple of a user or of an object): the filter and the count. */
export function bulkDeleteEvent(storeId: string, filter: { user?: string; object?: string }, count: number): AuditEventInput {
  return { action: 'authz.tuples.deleted', target: { type: 'authz_store', id: storeId }, metadata: { store_id: storeId, filter, count } };
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
