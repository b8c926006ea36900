import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { TupleKey, User } from '@openfga/sdk';
import { parse } from 'yaml';
import { loadModelFile } from '../../src/authz/default-model.ts';
import type { AuthzEngine } from '../../src/authz/engine.ts';

/**
 * Runs a model test file in OpenFGA's format (what `fga model test` reads: `model_file`,
 * `tuples`, and `tests` with `check`, `list_objects`, `list_users`) against an engine. Each
 * test gets a fresh store. Returns one line per assertion that did not hold (empty = all pass)
 * and how many assertions ran.
 */
export async function runModelTestFile(engine: AuthzEngine, path: string): Promise<{ failures: string[]; assertions: number }> {
  const file = parse(readFileSync(path, 'utf8')) as ModelTestFile;
  const model = loadModelFile(resolve(dirname(path), file.model_file));
  const failures: string[] = [];
  let assertions = 0;
  for (const test of file.tests) {
    const store = await engine.createStore(`model test ${test.name}`.slice(0, 60));
    const { authorization_model_id: modelId } = await engine.writeAuthorizationModel(store.id, model);
    const tuples = [...(file.tuples ?? []), ...(test.tuples ?? [])];
    for (let i = 0; i < tuples.length; i += 100) {
      await engine.write(store.id, { writes: { tuple_keys: tuples.slice(i, i + 100) }, authorization_model_id: modelId });
    }
    const fail = (what: string, got: unknown, want: unknown) =>
      failures.push(`[${test.name}] ${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);

    for (const c of test.check ?? []) {
      for (const [relation, want] of Object.entries(c.assertions)) {
        assertions++;
        const tuple_key = { user: c.user, relation, object: c.object };
        try {
          const { allowed } = await engine.check(store.id, { tuple_key, context: c.context, authorization_model_id: modelId });
          if (allowed !== want) fail(`check ${c.user} ${relation} ${c.object}`, allowed, want);
        } catch (err) {
          fail(`check ${c.user} ${relation} ${c.object}`, (err as Error).message, want);
        }
      }
    }
    for (const l of test.list_objects ?? []) {
      for (const [relation, want] of Object.entries(l.assertions)) {
        assertions++;
        const res = await engine.listObjects(store.id, { user: l.user, type: l.type, relation, context: l.context, authorization_model_id: modelId });
        if (!sameSet(res.objects, want)) fail(`list_objects ${l.user} ${relation} ${l.type}`, res.objects.sort(), want.sort());
      }
    }
    for (const l of test.list_users ?? []) {
      const [type, id] = splitObject(l.object);
      for (const [relation, want] of Object.entries(l.assertions)) {
        assertions++;
        const res = await engine.listUsers(store.id, {
          object: { type, id },
          relation,
          user_filters: l.user_filter,
          context: l.context,
          authorization_model_id: modelId,
        });
        const got = res.users.map(userString);
        if (!sameSet(got, want.users)) fail(`list_users ${l.object} ${relation}`, got.sort(), [...want.users].sort());
      }
    }
    await engine.deleteStore(store.id);
  }
  return { failures, assertions };
}

/** A model test file in OpenFGA's format, as `fga model test` reads it. */
export interface ModelTestFile {
  name: string;
  model_file: string;
  tuples?: TupleKey[];
  tests: {
    name: string;
    tuples?: TupleKey[];
    check?: { user: string; object: string; context?: Record<string, unknown>; assertions: Record<string, boolean> }[];
    list_objects?: { user: string; type: string; context?: Record<string, unknown>; assertions: Record<string, string[]> }[];
    list_users?: {
      object: string;
      user_filter: { type: string; relation?: string }[];
      context?: Record<string, unknown>;
      assertions: Record<string, { users: string[] }>;
    }[];
  }[];
}

/** A user of a ListUsers answer as the test files write it (`type:id`, `type:id#rel`, `type:*`). */
export function userString(u: User): string {
  if (u.object) return `${u.object.type}:${u.object.id}`;
  if (u.userset) return `${u.userset.type}:${u.userset.id}#${u.userset.relation}`;
  if (u.wildcard) return `${u.wildcard.type}:*`;
  return JSON.stringify(u);
}

function splitObject(object: string): [string, string] {
  const i = object.indexOf(':');
  return [object.slice(0, i), object.slice(i + 1)];
}

export const sameSet = (a: string[], b: string[]) => a.length === b.length && new Set(a).size === new Set([...a, ...b]).size;
