import { settings, type Config, type SettingKey } from './schema.ts';

export class ConfigError extends Error {
  constructor(readonly key: string, message: string) {
    super(`Invalid configuration ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

/**
 * Builds the frozen configuration from an environment-like record (the CLI passes
 * `process.env`; tests pass their own) plus explicit overrides. The first bad value throws a
 * ConfigError naming its variable.
 */
export function loadConfig(
  env: Record<string, string | undefined> = {},
  overrides: Partial<Record<SettingKey, unknown>> = {},
): Config {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings) as [SettingKey, (typeof settings)[SettingKey]][]) {
    const raw = key in overrides ? overrides[key] : emptyToUndefined(env[setting.env]);
    const parsed = setting.schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(setting.env, issue ? issue.message : 'invalid value');
    }
    out[key] = parsed.data;
  }
  return Object.freeze(out) as Config;
}

/** Surrounding spaces (an env file's `KEY=value `) are not part of a value; blank means unset. */
function emptyToUndefined(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
