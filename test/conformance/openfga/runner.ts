import type { AuthorizationModel, TupleKey } from '@openfga/sdk';
import { transformer } from '@openfga/syntax-transformer';
import type { ConformanceTest, Stage, YamlTuple } from './suite.ts';
import { ConformanceCallError, type ConformanceTarget, type QueryOptions } from './target.ts';

/**
 * Runs one YAML test against a target the way OpenFGA's own runner does
 * (`tests/check`, `tests/listobjects`, `tests/listusers` upstream):
 * a new store per test; per stage, the model (DSL → JSON), then the tuples shuffled and written
 * in chunks of at most 40, then the stage's assertions against that model id. Check must fail
 * with `errorCode` when one is given and otherwise answer `expectation`; ListObjects and
 * ListUsers answers are compared as sets and every returned object or user must also Check
 * allowed with the same contextual tuples and context.
 *
 * `contextual` mode (upstream's `_ctxTuples` variant) writes no tuples and sends all of the
 * stage's tuples as contextual tuples on every call, after the assertion's own; multi-stage
 * tests and stages with more than 100 tuples are skipped there (the API's limit).
 */
export type Mode = 'stored' | 'contextual';

export const WRITE_CHUNK = 40;
export const MAX_CONTEXTUAL_TUPLES = 100;

export interface TestResult {
  assertions: number;
  passed: number;
  /** Stages not run in contextual mode because they have more than 100 tuples. */
  skippedStages: number;
  failures: string[];
}

/** A seeded PRNG (mulberry32), so a failing shuffle can be replayed with the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function toKey(t: YamlTuple): TupleKey {
  const key: TupleKey = { object: t.object, relation: t.relation, user: t.user };
  if (t.condition) key.condition = t.condition.context ? { name: t.condition.name, context: t.condition.context } : { name: t.condition.name };
  return key;
}

export function storeName(testName: string): string {
  const clean = testName.replace(/[^a-zA-Z0-9 ._\-/^&@]/g, '-').slice(0, 60);
  return clean.length >= 3 ? clean : `${clean}---`.slice(0, 3);
}

const sameSet = (a: readonly string[], b: readonly string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

export async function runConformanceTest(target: ConformanceTarget, test: ConformanceTest, mode: Mode, random: () => number): Promise<TestResult> {
  const result: TestResult = { assertions: 0, passed: 0, skippedStages: 0, failures: [] };
  const storeId = await target.createStore(storeName(test.name));
  for (const [index, stage] of test.stages.entries()) {
    const tuples = (stage.tuples ?? []).map(toKey);
    if (mode === 'contextual' && tuples.length > MAX_CONTEXTUAL_TUPLES) {
      result.skippedStages++;
      continue;
    }
    const where = `stage ${index}`;
    let modelId: string;
    try {
      modelId = await target.writeModel(storeId, transformer.transformDSLToJSONObject(stage.model) as Omit<AuthorizationModel, 'id'>);
      if (mode === 'stored') {
        const shuffled = shuffle(tuples, random);
        for (let i = 0; i < shuffled.length; i += WRITE_CHUNK) await target.writeTuples(storeId, modelId, shuffled.slice(i, i + WRITE_CHUNK));
      }
    } catch (err) {
      result.failures.push(`${where}: setup failed: ${(err as Error).message}`);
      return result;
    }
    await runStage(target, storeId, modelId, stage, mode === 'contextual' ? tuples : [], random, where, result);
  }
  return result;
}

async function runStage(
  target: ConformanceTarget,
  storeId: string,
  modelId: string,
  stage: Stage,
  stageTuples: TupleKey[],
  random: () => number,
  where: string,
  result: TestResult,
): Promise<void> {
  const options = (a: { contextualTuples?: YamlTuple[] | null; context?: Record<string, unknown> | null }): QueryOptions => ({
    contextualTuples: [...shuffle((a.contextualTuples ?? []).map(toKey), random), ...shuffle(stageTuples, random)],
    context: a.context ?? undefined,
  });
  const record = (label: string, problem: string | undefined) => {
    result.assertions++;
    if (problem === undefined) result.passed++;
    else result.failures.push(`${where} ${label}: ${problem}`);
  };
  const recheck = async (opts: QueryOptions, object: string, relation: string, user: string): Promise<string | undefined> => {
    try {
      const allowed = await target.check(storeId, modelId, { ...opts, tupleKey: { object, relation, user } });
      return allowed ? undefined : `returned ${user} on ${object}#${relation} but Check says not allowed`;
    } catch (err) {
      return `returned ${user} on ${object}#${relation} but Check failed: ${(err as Error).message}`;
    }
  };

  for (const [i, a] of (stage.checkAssertions ?? []).entries()) {
    const opts = options(a);
    const label = `check #${i} ${a.tuple.object}#${a.tuple.relation}@${a.tuple.user}`;
    record(label, await expectOutcome(a.errorCode, async () => {
      const allowed = await target.check(storeId, modelId, { ...opts, tupleKey: a.tuple });
      return allowed === (a.expectation ?? false) ? undefined : `expected allowed=${a.expectation ?? false}, got ${allowed}`;
    }));
  }

  for (const [i, a] of (stage.listObjectsAssertions ?? []).entries()) {
    const opts = options(a);
    const { user, type, relation } = a.request;
    record(`listObjects #${i} ${type}#${relation}@${user}`, await expectOutcome(a.errorCode, async () => {
      const objects = await target.listObjects(storeId, modelId, { ...opts, user, type, relation });
      const expected = a.expectation ?? [];
      if (!sameSet(objects, expected)) return `expected [${expected.join(', ')}], got [${objects.join(', ')}]`;
      for (const object of objects) {
        const problem = await recheck(opts, object, relation, user);
        if (problem) return problem;
      }
      return undefined;
    }));
  }

  for (const [i, a] of (stage.listUsersAssertions ?? []).entries()) {
    const opts = options(a);
    const { object, relation, filters } = a.request;
    const [type, id] = [object.slice(0, object.indexOf(':')), object.slice(object.indexOf(':') + 1)];
    const userFilters = filters.map((f) => (f.includes('#') ? { type: f.split('#')[0] as string, relation: f.split('#')[1] as string } : { type: f }));
    record(`listUsers #${i} ${object}#${relation} [${filters.join(', ')}]`, await expectOutcome(a.errorCode, async () => {
      const expected = a.expectation ?? [];
      if (a.errorCode && expected.length > 0) return 'an assertion cannot expect both an error code and a result';
      const users = await target.listUsers(storeId, modelId, { ...opts, object: { type, id }, relation, filters: userFilters });
      if (!sameSet(users, expected)) return `expected [${expected.join(', ')}], got [${users.join(', ')}]`;
      for (const user of users) {
        const problem = await recheck(opts, object, relation, user);
        if (problem) return problem;
      }
      return undefined;
    }));
  }
}

/** Runs `call`; with `errorCode` set the call must fail with exactly that code. */
async function expectOutcome(errorCode: number | undefined, call: () => Promise<string | undefined>): Promise<string | undefined> {
  try {
    const problem = await call();
    return errorCode ? `expected error ${errorCode}, but the call succeeded` : problem;
  } catch (err) {
    if (!(err instanceof ConformanceCallError)) return `unexpected failure: ${(err as Error).stack ?? String(err)}`;
    if (!errorCode) return `unexpected error ${err.message}`;
    return err.code === errorCode ? undefined : `expected error ${errorCode}, got ${err.message}`;
  }
}
