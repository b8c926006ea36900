import type { TupleKey } from '@openfga/sdk';
import { expect } from 'vitest';
import type { AuthzEngine } from '../engine.ts';
import { dslToModel } from '../model/dsl.ts';

export interface ContractContext {
  readonly engine: AuthzEngine;
}

/** The model the contract cases share: groups, folders, documents, a condition. */
export const CONTRACT_MODEL = `model
  schema 1.1
type user
type group
  relations
    define member: [user, group#member]
type folder
  relations
    define owner: [user]
    define viewer: [user, user:*, group#member] or owner
type document
  relations
    define parent: [folder]
    define owner: [user]
    define editor: [user, user with in_region] or owner
    define blocked: [user]
    define viewer: ([user, group#member] or editor or viewer from parent) but not blocked
    define approver: [user] and editor
condition in_region(region: string, allowed: list<string>) {
  region in allowed
}
`;

export const t = (object: string, relation: string, user: string, condition?: TupleKey['condition']): TupleKey =>
  condition ? { object, relation, user, condition } : { object, relation, user };

/** A fresh store with the contract model; `tuples` written in one request. */
export async function freshStore(engine: AuthzEngine, tuples: TupleKey[] = []): Promise<{ storeId: string; modelId: string }> {
  const store = await engine.createStore('contract store');
  const { authorization_model_id: modelId } = await engine.writeAuthorizationModel(store.id, dslToModel(CONTRACT_MODEL));
  if (tuples.length > 0) await engine.write(store.id, { writes: { tuple_keys: tuples }, authorization_model_id: modelId });
  return { storeId: store.id, modelId };
}

/** Awaits `promise` and asserts it failed with OpenFGA error code `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

export async function allowed(engine: AuthzEngine, storeId: string, user: string, relation: string, object: string, extra: object = {}): Promise<boolean> {
  const res = await engine.check(storeId, { tuple_key: { user, relation, object }, ...extra });
  return res.allowed === true;
}

/** Every tuple in the store, following continuation tokens. */
export async function readAll(engine: AuthzEngine, storeId: string, pageSize = 100): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await engine.read(storeId, { page_size: pageSize, continuation_token: token });
    out.push(...page.tuples.map((x) => `${x.key.object}#${x.key.relation}@${x.key.user}`));
    token = page.continuation_token || undefined;
  } while (token);
  return out.sort();
}
