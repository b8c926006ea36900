import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../config/schema.ts';
import type { Services } from '../services.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext {
  config: Config;
  /** Builds (once) the services over the data dir; migrations are applied first. */
  services(): Services;
  json: boolean;
  /** Prints the command's result: one JSON object with --json, else `human(result)`. */
  print(result: object, human?: (r: any) => string): void;
  write(text: string): void;
  /** One line for the person at the terminal (stderr): progress and warnings, never part of the result. */
  warn(line: string): void;
  env: Record<string, string | undefined>;
}

export interface Command {
  /** e.g. ['tenant', 'create'] */
  path: string[];
  summary: string;
  usage: string;
  options: OptionSpec;
  /** Names for positional arguments after the command path (e.g. ['id']). */
  positionals?: string[];
  /** Returns the exit code (0 unless the command says otherwise). */
  run(ctx: CommandContext, values: Record<string, string | boolean | undefined>): Promise<number | void> | number | void;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function requireString(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required`);
  return v;
}
