/**
 * The floor: a Hono route on the same Node server stack that parses a check-shaped JSON body
 * and answers {"allowed":true} without evaluating anything. Prints {"url","pid"} once listening.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';

const app = new Hono();
app.post('/stores/:store_id/check', async (c) => {
  const body = await c.req.json<{ tuple_key?: { user?: string; relation?: string; object?: string } }>();
  if (!body.tuple_key?.user) return c.json({ code: 'validation_error', message: 'tuple_key required' }, 400);
  return c.json({ allowed: true });
});
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid }) + '\n');
});
process.once('SIGTERM', () => process.exit(0));
