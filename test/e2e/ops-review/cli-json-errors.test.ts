import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Harness } from '../../helpers/harness.ts';
import { cli } from '../../helpers/cli.ts';

/** `--json` prints one JSON object: on failure too, whatever the exit code, so a script can read why. */
describe('the CLI under --json when a command fails', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.close());

  const oneObject = (stdout: string) => {
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    return JSON.parse(lines[0] as string) as { error: { code: string; message: string } };
  };

  it.each([
    ['a missing required flag', ['tenant', 'create'], /--name is required/],
    ['an unknown option', ['tenant', 'list', '--colour', 'red'], /Unknown option '--colour'/],
    ['a flag missing its value', ['tenant', 'create', '--name'], /--name/],
    ['conflicting flags', ['apikey', 'create', '--platform', '--tenant', 'x'], /exactly one of --platform or --tenant/],
    ['an unexpected argument', ['tenant', 'list', 'extra'], /unexpected argument 'extra'/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
  ])('prints an error object for %s (exit 2)', async (_what, args, message) => {
    const r = await cli([...args, '--data-dir', h.dir, '--json']);
    expect(r.code).toBe(2);
    const out = oneObject(r.stdout);
    expect(out.error.code).toBe('usage');
    expect(out.error.message).toMatch(message);
  });

  it('prints an error object naming the variable for bad configuration (exit 2)', async () => {
    const r = await cli(['tenant', 'list', '--data-dir', h.dir, '--json'], { PORTCULLIS_PORT: 'eighty' });
    expect(r.code).toBe(2);
    const out = oneObject(r.stdout);
    expect(out.error.code).toBe('invalid_configuration');
    expect(out.error.message).toContain('PORTCULLIS_PORT');
  });

  it('prints an error object when the database was migrated by a newer build (exit 1), and says so', async () => {
    const db = new Database(join(h.dir, 'portcullis.db'));
    db.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (9999, 'from_the_future', 'x', '2030-01-01T00:00:00Z')").run();
    db.close();
    for (const command of [['migrate'], ['tenant', 'list']]) {
      const r = await cli([...command, '--data-dir', h.dir, '--json']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/migration 9999 \(from_the_future\) that this build does not know/);
      expect(oneObject(r.stdout).error.message).toMatch(/migration 9999/);
    }
  });

  it('keeps stdout free of an error object without --json', async () => {
    const r = await cli(['tenant', 'create', '--data-dir', h.dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});
