/**
 * The benchmark floor: a bare Hono route on @hono/node-server that parses a check-shaped JSON
 * body and answers {"allowed":true} without evaluating anything. Every benchmark reports its
 * figures as a ratio to this, measured in the same run on the same machine.
 */
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';

const app = new Hono();
app.post('/floor', async (c) => {
  const body = await c.req.json<{ tuple_key?: { user?: string } }>();
  if (!body || typeof body !== 'object') return c.json({ code: 'validation_error' }, 400);
  return c.json({ allowed: true });
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${info.port}` }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
