import type { TupleKey, TupleKeyWithoutCondition } from '@openfga/sdk';
import { stagedDone, type Staged } from '../../lib/staged.ts';
import type { StagedTupleWriter } from '../staged-writer.ts';
import type { EmbeddedAuthzEngine } from './engine.ts';

/**
 * StagedTupleWriter for the embedded engine: the tuples live in the same SQLite database, so
 * every `stage*` call applies its change synchronously inside the caller's `storage.transaction`
 * (committing or rolling back with the directory change) and `flush` has nothing left to do.
 * Changes are idempotent: existing writes and missing deletes are skipped, repeats collapse.
 */
export class EmbeddedStagedTupleWriter implements StagedTupleWriter {
  constructor(private readonly engine: EmbeddedAuthzEngine) {}

  stage(storeId: string, change: { writes?: TupleKey[]; deletes?: TupleKeyWithoutCondition[] }): Staged<number> {
    const writes = unique(change.writes ?? []);
    const deletes = unique(change.deletes ?? []);
    if (writes.length === 0 && deletes.length === 0) return stagedDone(0);
    const result = this.engine.writeSync(
      storeId,
      {
        writes: writes.length > 0 ? { tuple_keys: writes, on_duplicate: 'ignore' } : undefined,
        deletes: deletes.length > 0 ? { tuple_keys: deletes, on_missing: 'ignore' } : undefined,
      },
      Number.MAX_SAFE_INTEGER,
    );
    return stagedDone(result.deleted + result.written);
  }

  stageDeleteTuplesForUser(storeId: string, user: string): Staged<number> {
    return stagedDone(this.engine.deleteTuplesForUserSync(storeId, user));
  }

  stageDeleteTuplesForObject(storeId: string, object: string): Staged<number> {
    return stagedDone(this.engine.deleteTuplesForObjectSync(storeId, object));
  }

  /** Nothing is ever left pending: every change committed with its cause. */
  async finishPending(): Promise<void> {}

  async finishAllPending(): Promise<{ stores: number; failed: number; applied: number }> {
    return { stores: 0, failed: 0, applied: 0 };
  }
}

function unique<T extends { user: string; relation: string; object: string }>(keys: T[]): T[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = `${k.object}#${k.relation}@${k.user}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
