import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * OpenFGA's YAML query-API suites (`../shared/conformance/openfga/*.yaml`, see its README),
 * loaded as plain data. The path is resolved from the repository root, so the suites are found
 * from a worktree and in CI alike.
 */
export interface YamlTuple {
  object: string;
  relation: string;
  user: string;
  condition?: { name: string; context?: Record<string, unknown> };
}

interface Common {
  errorCode?: number;
  contextualTuples?: YamlTuple[] | null;
  context?: Record<string, unknown> | null;
}

export interface CheckAssertion extends Common {
  tuple: { object: string; relation: string; user: string };
  expectation?: boolean;
}

export interface ListObjectsAssertion extends Common {
  request: { user: string; type: string; relation: string };
  expectation?: string[] | null;
}

export interface ListUsersAssertion extends Common {
  request: { object: string; relation: string; filters: string[] };
  expectation?: string[] | null;
}

export interface Stage {
  name?: string;
  model: string;
  tuples?: YamlTuple[] | null;
  checkAssertions?: CheckAssertion[] | null;
  listObjectsAssertions?: ListObjectsAssertion[] | null;
  listUsersAssertions?: ListUsersAssertion[] | null;
}

export interface ConformanceTest {
  file: string;
  name: string;
  stages: Stage[];
}

export const SUITE_FILES = ['consolidated_1_1_tests.yaml', 'abac_tests.yaml'] as const;

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** `<repo>/../shared/conformance/openfga`, unless PORTCULLIS_CONFORMANCE_DIR points elsewhere. */
export function suiteDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.PORTCULLIS_CONFORMANCE_DIR ?? join(repoRoot, '..', 'shared', 'conformance', 'openfga');
}

export function loadSuites(dir = suiteDirectory()): ConformanceTest[] {
  return SUITE_FILES.flatMap((file) => {
    const doc = parse(readFileSync(join(dir, file), 'utf8')) as { tests: { name: string; stages: Stage[] }[] };
    return doc.tests.map((t) => ({ file, name: t.name, stages: t.stages }));
  });
}
