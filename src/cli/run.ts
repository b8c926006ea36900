import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { ApiError } from '../http/errors.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import { buildServices, type Services } from '../services.ts';
import { commands } from './commands.ts';
import { UsageError, type Command, type CommandContext } from './command.ts';
import { assertKekAvailable } from './kek-guard.ts';
import { isNewDatabase } from '../storage/migrate.ts';

const GLOBAL_OPTIONS = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

function findCommand(args: string[]): { command?: Command; rest: string[]; prefix: string[] } {
  const words: string[] = [];
  for (const a of args) {
    if (a.startsWith('-')) break;
    words.push(a);
  }
  let best: Command | undefined;
  for (const c of commands) {
    if (c.path.every((p, i) => words[i] === p) && (!best || c.path.length > best.path.length)) best = c;
  }
  if (!best) return { rest: args, prefix: words };
  return { command: best, rest: args.slice(best.path.length), prefix: best.path };
}

function overview(prefix: string[] = []): string {
  const shown = commands.filter((c) => prefix.every((p, i) => c.path[i] === p));
  const list = (shown.length ? shown : commands).map((c) => `  ${c.path.join(' ').padEnd(18)} ${c.summary}`);
  return [
    'Usage: portcullis <command> [--data-dir DIR] [--json]',
    '',
    'Commands:',
    ...list,
    '',
    'Global options: --data-dir DIR (default $PORTCULLIS_DATA_DIR or ./data), --json, --help',
    'T accepts a tenant id or slug.',
  ].join('\n');
}

/**
 * Runs one CLI invocation and returns the exit code: 0 success, 1 the command failed (not
 * found, conflict, tampered audit log), 2 bad usage or configuration.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const { command, rest, prefix } = findCommand(argv);
  // Known before the arguments parse, so that even a usage error prints one JSON object under --json.
  const wantsJson = argv.includes('--json');
  const fail = (exitCode: 1 | 2, code: string, message: string, usage?: string): number => {
    if (wantsJson) io.stdout(JSON.stringify({ error: { code, message } }) + '\n');
    io.stderr(`error: ${message}${usage ? `\n${usage}` : ''}\n`);
    return exitCode;
  };
  if (!command) {
    const wantsHelp = argv.length === 0 || argv.includes('--help') || argv.includes('-h') || argv[0] === 'help';
    if (wantsHelp) {
      io.stdout(overview(prefix) + '\n');
      return 0;
    }
    return fail(2, 'usage', `unknown command '${prefix.join(' ') || argv[0]}'`, `\n${overview(prefix.slice(0, 1))}`);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (err) {
    return fail(2, 'usage', (err as Error).message, `usage: ${command.usage}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    io.stdout(`${command.summary}\n\nusage: ${command.usage}\n`);
    return 0;
  }
  const names = command.positionals ?? [];
  if (parsed.positionals.length > names.length) {
    return fail(2, 'usage', `unexpected argument '${parsed.positionals[names.length]}'`, `usage: ${command.usage}`);
  }
  names.forEach((n, i) => (values[n] = parsed.positionals[i]));

  const json = values.json === true;
  let services: Services | undefined;
  let failed = true;
  try {
    const config = loadConfig(io.env, {
      ...(typeof values['data-dir'] === 'string' ? { dataDir: values['data-dir'] } : {}),
      ...(command.path[0] === 'serve' ? {} : { logLevel: io.env.PORTCULLIS_LOG_LEVEL?.trim() || 'silent' }),
    });
    const ctx: CommandContext = {
      config,
      json,
      env: io.env,
      services: () => {
        if (!services) assertKekAvailable(config);
        // Only serve (and `migrate`) move an existing database forward: any other command of a newer
        // CLI would upgrade it underneath the older server still running on it. A new one is set up.
        const migrate = command.path[0] === 'serve' || config.dataDir === ':memory:' || isNewDatabase(join(config.dataDir, 'portcullis.db'));
        return (services ??= buildServices(config, { migrate, defaultMetrics: command.path[0] === 'serve' }));
      },
      print: (result, human) => io.stdout((json || !human ? JSON.stringify(result) : human(result)) + '\n'),
      write: io.stdout,
      warn: (line) => io.stderr(`${line}\n`),
    };
    const code = await command.run(ctx, values);
    failed = false;
    return code ?? 0;
  } catch (err) {
    if (err instanceof UsageError) return fail(2, 'usage', err.message, `usage: ${command.usage}`);
    if (err instanceof ConfigError) return fail(2, 'invalid_configuration', err.message);
    if (err instanceof ApiError && err.expose) {
      if (json) io.stdout(JSON.stringify({ error: { code: err.code, message: err.message } }) + '\n');
      io.stderr(`error: ${err.message} (${err.code})\n`);
      return 1;
    }
    return fail(1, 'failed', (err as Error).message);
  } finally {
    // serve closes its own services when it stops; one that failed to start leaves that to us.
    if (command.path[0] !== 'serve' || failed) await services?.close();
  }
}
