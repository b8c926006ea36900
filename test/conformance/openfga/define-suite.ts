import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConformanceTest, seededRandom, type Mode, type TestResult } from './runner.ts';
import { loadSuites, suiteDirectory } from './suite.ts';
import type { ConformanceTarget } from './target.ts';

export interface SuiteOptions {
  /** Run tests concurrently (vitest's `maxConcurrency` bounds it): for targets behind a network. */
  concurrent?: boolean;
  /** When set, the whole suite is skipped, with this reason in its title. */
  skipReason?: string;
}

/**
 * Registers OpenFGA's YAML suites as vitest tests against one target: per YAML test one case
 * with tuples written to the store and one with them sent as contextual tuples. Prints the
 * assertion tally when done. `PORTCULLIS_CONFORMANCE_SEED` replays a shuffle order.
 */
export function describeConformance(name: string, makeTarget: () => Promise<ConformanceTarget>, options: SuiteOptions = {}): void {
  const seed = Number(process.env.PORTCULLIS_CONFORMANCE_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const tests = options.skipReason ? [] : loadSuites();
  const title = options.skipReason ? `${name} (skipped: ${options.skipReason})` : `${name} (suites in ${suiteDirectory()}, seed ${seed})`;

  describe.skipIf(options.skipReason !== undefined)(title, () => {
    let target: ConformanceTarget | undefined;
    const tally = { assertions: 0, passed: 0, skippedStages: 0, cases: 0, failedCases: 0 };

    beforeAll(async () => {
      target = await makeTarget();
    });

    afterAll(async () => {
      await target?.close?.();
      if (tally.cases > 0) {
        console.log(
          `[conformance] ${name}: ${tally.passed}/${tally.assertions} assertions passed in ${tally.cases} cases ` +
            `(${tally.failedCases} failing cases, ${tally.skippedStages} stages skipped in contextual mode), seed ${seed}`,
        );
      }
    });

    const define = options.concurrent ? it.concurrent : it;
    for (const [index, test] of tests.entries()) {
      for (const mode of ['stored', 'contextual'] as Mode[]) {
        const label = `${test.file}: ${test.name}${mode === 'contextual' ? ' with its tuples as contextual tuples' : ''}`;
        if (mode === 'contextual' && test.stages.length > 1) {
          // As upstream: a multi-stage test's later stages expect tuples already in the store.
          it.skip(`${label} (multi-stage tests run only with stored tuples)`);
          continue;
        }
        define(`answers as OpenFGA does for ${label}`, async () => {
          const random = seededRandom(seed + index * 2 + (mode === 'contextual' ? 1 : 0));
          const result: TestResult = await runConformanceTest(target as ConformanceTarget, test, mode, random);
          tally.cases++;
          tally.assertions += result.assertions;
          tally.passed += result.passed;
          tally.skippedStages += result.skippedStages;
          if (result.failures.length > 0) tally.failedCases++;
          expect(result.failures).toEqual([]);
        });
      }
    }
  });
}
