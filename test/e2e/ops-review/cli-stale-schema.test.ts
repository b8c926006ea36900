import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/harness.ts';
import { cli } from '../../helpers/cli.ts';
import { openDatabase } from '../../../src/storage/database.ts';
import { migrate } from '../../../src/storage/migrate.ts';
import { migrations } from '../../../src/storage/migrations/index.ts';

/**
 * A data directory an older build serves: all but the last migration applied. Only `serve` and
 * `migrate` move it forward (the upgrade, after a backup); any other command of a newer CLI must
 * not migrate it underneath the running older server, which would then refuse its own database.
 */
describe('the CLI on a database an older build migrated', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  const olderDatabase = () => {
    const dir = tempDir('portcullis-stale-');
    dirs.push(dir);
    const db = openDatabase(join(dir, 'portcullis.db'));
    migrate(db, migrations.slice(0, -1));
    db.close();
    return dir;
  };
  const appliedCount = (dir: string) => {
    const db = openDatabase(join(dir, 'portcullis.db'));
    try {
      return (db.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it.each([[['tenant', 'list']], [['tenant', 'create', '--name', 'Acme']], [['apikey', 'create', '--platform']]])(
    'refuses %j without migrating, pointing at `portcullis migrate`',
    async (args) => {
      const dir = olderDatabase();
      const r = await cli([...args, '--data-dir', dir, '--json']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/needs migrations .*portcullis migrate/);
      expect(appliedCount(dir)).toBe(migrations.length - 1);
    },
  );

  it('migrates it with `portcullis migrate`, after which the commands work', async () => {
    const dir = olderDatabase();
    expect((await cli(['migrate', '--data-dir', dir, '--json'])).json().applied).toHaveLength(1);
    expect((await cli(['tenant', 'list', '--data-dir', dir, '--json'])).code).toBe(0);
  });

  it('still sets up a new data directory for any command', async () => {
    const parent = tempDir('portcullis-new-');
    dirs.push(parent);
    const dir = join(parent, 'data');
    expect((await cli(['tenant', 'list', '--data-dir', dir, '--json'])).code).toBe(0);
    expect(existsSync(join(dir, 'portcullis.db'))).toBe(true);
    expect(appliedCount(dir)).toBe(migrations.length);
  });
});
