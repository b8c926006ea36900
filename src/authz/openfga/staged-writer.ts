import type { TupleKey, TupleKeyWithoutCondition } from '@openfga/sdk';
import type { Staged } from '../../lib/staged.ts';
import type { StagedTupleWriter } from '../staged-writer.ts';
import type { OpenFgaEngine } from './engine.ts';
import { applyIdempotently, deleteTuplesForObject } from './tuples.ts';

/**
 * Side-effect tuple changes for the OpenFGA backend. Nothing lives in Portcullis' database, so
 * `stage` records nothing (its count is 0) and `flush` makes the remote calls after the caller's
 * commit. Every change is idempotent (`on_duplicate`/`on_missing: ignore`), and `flush` runs its
 * calls once however often it is awaited; a failed flush can be retried by staging again.
 */
export class OpenFgaStagedTupleWriter implements StagedTupleWriter {
  constructor(private readonly engine: OpenFgaEngine) {}

  stage(storeId: string, change: { writes?: TupleKey[]; deletes?: TupleKeyWithoutCondition[] }): Staged<number> {
    const copy = { writes: [...(change.writes ?? [])], deletes: [...(change.deletes ?? [])] };
    return this.#remote(storeId, () => applyIdempotently(this.engine.api, storeId, copy));
  }

  stageDeleteTuplesForUser(storeId: string, user: string): Staged<number> {
    return this.#remote(storeId, () => this.engine.deleteTuplesForUser(storeId, user));
  }

  stageDeleteTuplesForObject(storeId: string, object: string): Staged<number> {
    return this.#remote(storeId, () => deleteTuplesForObject(this.engine.api, storeId, object));
  }

  #remote(storeId: string, run: () => Promise<number>): Staged<number> {
    let running: Promise<number> | undefined;
    return {
      staged: 0,
      remote: true,
      flush: () =>
        (running ??= run().finally(() => this.engine.markWritten(storeId))),
    };
  }
}
