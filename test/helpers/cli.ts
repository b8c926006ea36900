import { runCli } from '../../src/cli/run.ts';

/** Runs the CLI in process (the same code path as bin/portcullis.ts) and captures its output. */
export async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env });
  const json = () => JSON.parse(stdout.trim().split('\n').pop() as string);
  return { code, stdout, stderr, json };
}
