/**
 * Portcullis serving a prepared data dir (the embedded engine), as `portcullis serve` does,
 * for the benchmark: rate limits out of the way, logs at warn. Prints {"url","pid"} once listening.
 */
import { loadConfig } from '../../../src/config/load.ts';
import { buildServices } from '../../../src/services.ts';
import { startServer } from '../../../src/server.ts';

const config = loadConfig(process.env, {
  port: 0,
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
  rateLimitBurst: 1_000_000_000,
  rateLimitPerSecond: 1_000_000_000,
  bodyLimitBytes: 4 * 1024 * 1024,
});
const services = buildServices(config, { migrate: true });
const server = await startServer(services);
process.stdout.write(JSON.stringify({ url: server.url, pid: process.pid }) + '\n');
process.once('SIGTERM', () => void server.close().then(() => services.close()).finally(() => process.exit(0)));
