import type { StagedTupleWriter } from '../../src/authz/staged-writer.ts';
import { stagedDone } from '../../src/lib/staged.ts';

/**
 * Stands in for the authorization engine's StagedTupleWriter until the authz branch (embedded
 * engine) is merged: keeps the tuple set per store so tests can see what SSO wrote and deleted.
 */
export class TupleRecorder implements StagedTupleWriter {
  readonly stores = new Map<string, Set<string>>();

  has(storeId: string, user: string, relation: string, object: string): boolean {
    return this.stores.get(storeId)?.has(`${user} ${relation} ${object}`) ?? false;
  }

  stage(storeId: string, change: { writes?: { user: string; relation: string; object: string }[]; deletes?: { user: string; relation: string; object: string }[] }) {
    const set = this.stores.get(storeId) ?? new Set<string>();
    this.stores.set(storeId, set);
    let n = 0;
    for (const t of change.writes ?? []) if (!set.has(`${t.user} ${t.relation} ${t.object}`)) (set.add(`${t.user} ${t.relation} ${t.object}`), n++);
    for (const t of change.deletes ?? []) if (set.delete(`${t.user} ${t.relation} ${t.object}`)) n++;
    return stagedDone(n);
  }

  stageDeleteTuplesForUser(storeId: string, user: string) {
    const set = this.stores.get(storeId) ?? new Set<string>();
    const gone = [...set].filter((t) => t.startsWith(`${user} `));
    gone.forEach((t) => set.delete(t));
    return stagedDone(gone.length);
  }

  stageDeleteTuplesForObject(storeId: string, object: string) {
    const set = this.stores.get(storeId) ?? new Set<string>();
    const gone = [...set].filter((t) => t.endsWith(` ${object}`));
    gone.forEach((t) => set.delete(t));
    return stagedDone(gone.length);
  }
}
