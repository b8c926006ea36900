/**
 * The Portcullis CLI. The only place that reads argv and the environment: everything below
 * receives them as arguments.
 */
import { runCli } from '../src/cli/run.ts';

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
});
process.exitCode = code;
