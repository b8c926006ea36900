import type { TupleKey, TupleKeyWithoutCondition } from '@openfga/sdk';
import type { Actor } from '../audit/events.ts';
import type { StagedTupleWriter } from '../authz/staged-writer.ts';
import { stagedDone, type Staged } from '../lib/staged.ts';

/** How directory objects are named in the tenant's authorization store. */
export const userObject = (userId: string) => `user:${userId}`;
export const groupObject = (groupId: string) => `group:${groupId}`;
export const groupMembers = (groupId: string) => `group:${groupId}#member`;
export const organizationObject = (tenantId: string) => `organization:${tenantId}`;

export const membershipTuple = (groupId: string, userId: string): TupleKey => ({
  user: userObject(userId),
  relation: 'member',
  object: groupObject(groupId),
});

export const mappingTuple = (tenantId: string, groupId: string, relation: string): TupleKey => ({
  user: groupMembers(groupId),
  relation,
  object: organizationObject(tenantId),
});

/**
 * Flushes every part in order, also those after one that failed, then throws the first failure:
 * the parts are independent, and a part whose database half has committed (sessions ended, a
 * membership removed) must still finish its remote half (back-channel logout, tuples) when another
 * part's remote call fails.
 */
export async function flushEach<T>(parts: readonly Staged<T>[]): Promise<T[]> {
  const out: T[] = [];
  let failure: { err: unknown } | undefined;
  for (const p of parts) {
    try {
      out.push(await p.flush());
    } catch (err) {
      failure ??= { err };
    }
  }
  if (failure) throw failure.err;
  return out;
}

/** Sums several staged counts into one; flushes them in order (each, see flushEach). */
export function combineStaged(parts: Staged<number>[]): Staged<number> {
  if (parts.length === 0) return stagedDone(0);
  return {
    staged: parts.reduce((n, p) => n + p.staged, 0),
    flush: async () => (await flushEach(parts)).reduce((a, b) => a + b, 0),
  };
}

/**
 * The directory's side of authorization: membership tuples and group→role mapping tuples,
 * staged through the authz engine's StagedTupleWriter (inside the caller's transaction). Without
 * a writer (a build with no authorization engine wired in) these are no-ops. Each change is
 * audited (authz.tuples.*) as `actor`'s: the SCIM token or the admin whose request caused it.
 */
export class DirectoryTuples {
  constructor(private readonly writer: () => StagedTupleWriter | undefined) {}

  write(storeId: string, writes: TupleKey[], actor: Actor): Staged<number> {
    const w = this.writer();
    return w && writes.length > 0 ? w.stage(storeId, { writes }, actor) : stagedDone(0);
  }

  delete(storeId: string, deletes: TupleKeyWithoutCondition[], actor: Actor): Staged<number> {
    const w = this.writer();
    return w && deletes.length > 0 ? w.stage(storeId, { deletes }, actor) : stagedDone(0);
  }

  addMembers(storeId: string, groupId: string, userIds: readonly string[], actor: Actor): Staged<number> {
    return this.write(storeId, userIds.map((u) => membershipTuple(groupId, u)), actor);
  }

  removeMembers(storeId: string, groupId: string, userIds: readonly string[], actor: Actor): Staged<number> {
    return this.delete(storeId, userIds.map((u) => membershipTuple(groupId, u)), actor);
  }

  /** Every tuple about the group: its memberships (object) and the mappings its members get (userset). */
  deleteGroup(storeId: string, groupId: string, actor: Actor): Staged<number> {
    const w = this.writer();
    if (!w) return stagedDone(0);
    return combineStaged([w.stageDeleteTuplesForObject(storeId, groupObject(groupId), actor), w.stageDeleteTuplesForUser(storeId, groupMembers(groupId), actor)]);
  }
}

/** A write's result whose remote parts (tuples on OpenFGA, revocations) finish in `flush`. */
export function withPending<T>(value: T, parts: Staged<unknown>[]): Staged<T> {
  return {
    staged: value,
    flush: async () => {
      await flushEach(parts);
      return value;
    },
  };
}
