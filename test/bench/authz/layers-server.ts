/**
 * The check path with its layers added one at a time, each under its own path prefix, on one
 * server over a prepared data dir (for `layers.ts`). Prints {"url","pid"} once listening.
 *   /floor        the floor's handler (parse the body, answer {"allowed":true})
 *   /context      + request context (request id, access log, request metrics)
 *   /auth         + OpenFGA error shape, body limit, bearer API key
 *   /access       + idempotency, store access (tenant lookup, scope)
 *   /engine       the floor's route calling the engine's Check (no middleware)
 *   /stack        /access with the engine's Check as handler
 *   /app          the real application (its /stores route)
 */
import { serve } from '@hono/node-server';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../../src/app.ts';
import { openFgaErrors } from '../../../src/authz/routes/errors.ts';
import { storeAccess } from '../../../src/authz/routes/access.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { bearerAuth } from '../../../src/http/auth.ts';
import { bodyLimit } from '../../../src/http/body-limit.ts';
import { idempotency } from '../../../src/http/idempotency.ts';
import { onError } from '../../../src/http/on-error.ts';
import { requestContext } from '../../../src/http/request-context.ts';
import { buildServices } from '../../../src/services.ts';

const s = buildServices(
  loadConfig(process.env, { logLevel: 'warn', rateLimitBurst: 1e9, rateLimitPerSecond: 1e9, bodyLimitBytes: 4 * 1024 * 1024 }),
  { migrate: true },
);
const floor = async (c: Context) => {
  const body = await c.req.json<{ tuple_key?: { user?: string } }>();
  if (!body.tuple_key?.user) return c.json({ code: 'validation_error', message: 'tuple_key required' }, 400);
  return c.json({ allowed: true });
};
const engine = async (c: Context) => c.json(await s.authz.check(c.req.param('store_id') as string, await c.req.json()));
const context = requestContext({ logger: s.logger, metrics: s.metrics, trustProxy: 0 });
const auth: MiddlewareHandler[] = [
  context,
  openFgaErrors,
  bodyLimit(s.config.bodyLimitBytes),
  bearerAuth({ authenticators: [(t) => s.apiKeys.authenticate(t)], limiter: s.limiter, metrics: s.metrics, realm: 'layers' }),
];
const access = [...auth, idempotency({ store: s.storage.unscoped.idempotency, clock: s.clock }), storeAccess((id) => s.storage.unscoped.tenants.findByStoreId(id), 'authz:read')];

const app = new Hono();
app.onError(onError);
const path = (prefix: string) => `/${prefix}/stores/:store_id/check`;
app.post(path('floor'), floor);
app.post(path('context'), context, floor);
app.on(['POST'], [path('auth')], ...auth, floor);
app.on(['POST'], [path('access')], ...access, floor);
app.post(path('engine'), engine);
app.on(['POST'], [path('stack')], ...access, engine);
app.route('/app', createApp(s));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid }) + '\n');
});
process.once('SIGTERM', () => void s.close().finally(() => process.exit(0)));
