import type { Command } from './command.ts';
import { systemActor } from '../audit/events.ts';
import { join } from 'node:path';
import { migrate } from '../storage/migrate.ts';
import { openDatabase } from '../storage/database.ts';
import { startServer } from '../server.ts';
import { startMaintenance } from '../maintenance.ts';

export const serveCommands: Command[] = [
  {
    path: ['serve'],
    summary: 'Run the HTTP service (applies migrations; creates and prints the first platform key)',
    usage: 'portcullis serve [--data-dir DIR]',
    options: {},
    async run(ctx) {
      const s = ctx.services();
      const first = s.apiKeys.ensureFirstPlatformKey(systemActor());
      if (first) {
        // Printed once to stdout, deliberately not through the logger.
        ctx.write(
          ctx.json
            ? JSON.stringify({ platform_api_key: { id: first.apiKey.id, key: first.key } }) + '\n'
            : `\nPlatform API key (shown once, store it now):\n  ${first.key}\n\n`,
        );
      }
      const server = await startServer(s);
      const stopMaintenance = startMaintenance(s);
      s.logger.info({ url: server.url, data_dir: s.config.dataDir }, 'portcullis listening');
      // Also on stdout whatever the log level, so scripts (and tests) can find the port.
      ctx.write(ctx.json ? JSON.stringify({ listening: server.url }) + '\n' : `Listening on ${server.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          s.logger.info({ signal }, 'shutting down: finishing in-flight requests');
          server.close().then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      stopMaintenance();
      await s.close();
      s.logger.info('stopped');
    },
  },
  {
    path: ['migrate'],
    summary: 'Apply pending database migrations',
    usage: 'portcullis migrate [--data-dir DIR] [--json]',
    options: {},
    run(ctx) {
      const db = openDatabase(join(ctx.config.dataDir, 'portcullis.db'));
      let applied: string[];
      try {
        applied = migrate(db, undefined, {
          lockTimeoutMs: ctx.config.migrationLockTimeoutMs,
          onLockWait: (ms) => ctx.warn(`Waiting for the database write lock (${Math.round(ms / 1000)} s so far): another process holds it, a migration in progress?`),
        });
      } finally {
        db.close();
      }
      ctx.print({ applied, data_dir: ctx.config.dataDir }, (r) =>
        r.applied.length ? `Applied ${r.applied.join(', ')}` : 'Database is up to date.',
      );
    },
  },
];
