import type { TupleKey, TupleKeyWithoutCondition } from '@openfga/sdk';
import { systemActor, type Actor, type AuditEventInput } from '../../audit/events.ts';
import type { Staged } from '../../lib/staged.ts';
import type { StagedTupleWriter } from '../staged-writer.ts';
import { bulkDeleteEvent, recordAll, tupleEvents, type AuthzAuditDeps } from './audited.ts';

/**
 * Audits the tuple side effects of the embedded engine: the change is applied by `stage` inside
 * the caller's transaction, and so is its event. Changes that changed nothing (count 0) write no
 * event. (The OpenFGA backend audits each change where it is applied: its pending-work queue.)
 */
export class AuditedStagedTupleWriter implements StagedTupleWriter {
  constructor(
    private readonly inner: StagedTupleWriter,
    private readonly deps: AuthzAuditDeps,
  ) {}

  stage(storeId: string, change: { writes?: TupleKey[]; deletes?: TupleKeyWithoutCondition[] }, actor: Actor = systemActor()): Staged<number> {
    return this.#audited(storeId, this.inner.stage(storeId, change, actor), actor, () =>
      tupleEvents(storeId, change.writes ?? [], change.deletes ?? [], { source: 'directory' }),
    );
  }

  stageDeleteTuplesForUser(storeId: string, user: string, actor: Actor = systemActor()): Staged<number> {
    return this.#audited(storeId, this.inner.stageDeleteTuplesForUser(storeId, user, actor), actor, (n) => [bulkDeleteEvent(storeId, { user }, n)]);
  }

  stageDeleteTuplesForObject(storeId: string, object: string, actor: Actor = systemActor()): Staged<number> {
    return this.#audited(storeId, this.inner.stageDeleteTuplesForObject(storeId, object, actor), actor, (n) => [bulkDeleteEvent(storeId, { object }, n)]);
  }

  finishPending(storeId: string): Promise<void> {
    return this.inner.finishPending(storeId);
  }

  finishAllPending(): Promise<{ stores: number; failed: number; applied: number }> {
    return this.inner.finishAllPending();
  }

  #audited(storeId: string, inner: Staged<number>, actor: Actor, events: (count: number) => AuditEventInput[]): Staged<number> {
    if (inner.staged > 0) recordAll(this.deps, storeId, events(inner.staged), actor);
    return inner;
  }
}
