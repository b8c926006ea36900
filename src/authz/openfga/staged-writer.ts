import type { TupleKey, TupleKeyWithoutCondition } from '@openfga/sdk';
import { systemActor, type Actor } from '../../audit/events.ts';
import { stagedDone, type Staged } from '../../lib/staged.ts';
import type { StagedTupleWriter } from '../staged-writer.ts';
import type { PendingTupleQueue } from './pending-queue.ts';

/**
 * Side-effect tuple changes for the OpenFGA backend. `stage*` queues the work in Portcullis'
 * database, in the caller's transaction (its count is 0: nothing changed yet); `flush` drains
 * the store's queue, older work first, and audits each change once the server took it. Work a
 * failed flush left behind stays queued: the next flush of the store, a SCIM request of the
 * tenant or the housekeeping finishes it. Every change is idempotent (`on_duplicate`/`on_missing:
 * ignore`), and `flush` runs once however often it is awaited.
 */
export class OpenFgaStagedTupleWriter implements StagedTupleWriter {
  constructor(private readonly queue: PendingTupleQueue) {}

  stage(storeId: string, change: { writes?: TupleKey[]; deletes?: TupleKeyWithoutCondition[] }, actor: Actor = systemActor()): Staged<number> {
    const writes = [...(change.writes ?? [])];
    const deletes = [...(change.deletes ?? [])];
    if (writes.length === 0 && deletes.length === 0) return stagedDone(0);
    return this.queue.enqueue(storeId, { kind: 'change', writes, deletes }, actor);
  }

  stageDeleteTuplesForUser(storeId: string, user: string, actor: Actor = systemActor()): Staged<number> {
    return this.queue.enqueue(storeId, { kind: 'delete_for_user', user }, actor);
  }

  stageDeleteTuplesForObject(storeId: string, object: string, actor: Actor = systemActor()): Staged<number> {
    return this.queue.enqueue(storeId, { kind: 'delete_for_object', object }, actor);
  }

  async finishPending(storeId: string): Promise<void> {
    await this.queue.finish(storeId);
  }

  finishAllPending(): Promise<{ stores: number; failed: number; applied: number }> {
    return this.queue.finishAll();
  }
}
