import { spawnSync } from 'node:child_process';

/** The version .ci/run installs; the drive script is written against its API. */
export const PYTHON_FGA_SDK_VERSION = '0.10.5';

export const PYTHON_FGA_SDK_MISSING_REASON =
  `OpenFGA's Python SDK is not importable (set PORTCULLIS_PYTHON to a python3 that has it, or \`python3 -m pip install openfga-sdk==${PYTHON_FGA_SDK_VERSION}\`)`;

/**
 * A python3 (PORTCULLIS_PYTHON, else `python3` on PATH) that can `import openfga_sdk`, with the
 * SDK version it has. Undefined (with a console note) when there is none, so the caller can skip
 * with the reason; under PORTCULLIS_REQUIRE_PYTHON_FGA_SDK=1 (CI) that is an error instead.
 * Runs synchronously, at collection time, before any server of the test is listening.
 */
export function requirePythonFgaSdk(env: NodeJS.ProcessEnv = process.env): { python: string; version: string } | undefined {
  const python = env.PORTCULLIS_PYTHON || 'python3';
  const probe = spawnSync(python, ['-c', 'import openfga_sdk; print(openfga_sdk.__version__)'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.status === 0) return { python, version: probe.stdout.trim() };
  if (env.PORTCULLIS_REQUIRE_PYTHON_FGA_SDK === '1') {
    throw new Error(`PORTCULLIS_REQUIRE_PYTHON_FGA_SDK=1 but ${PYTHON_FGA_SDK_MISSING_REASON}: ${(probe.stderr || probe.error?.message || '').trim()}`);
  }
  console.warn(`Skipping the Python SDK cases: ${PYTHON_FGA_SDK_MISSING_REASON}.`);
  return undefined;
}
