import type { Hono, Env } from 'hono';
import type { Metrics } from './metrics.ts';

export interface ReadinessCheck {
  name: string;
  check: () => boolean | Promise<boolean>;
}

/** /healthz (the process answers), /readyz (every dependency answers), /metrics. */
export function mountOperations<E extends Env>(app: Hono<E>, options: { checks: ReadinessCheck[]; metrics: Metrics }): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const results: Record<string, 'ok' | 'failing'> = {};
    for (const { name, check } of options.checks) {
      let ok = false;
      try {
        ok = await check();
      } catch {
        ok = false;
      }
      results[name] = ok ? 'ok' : 'failing';
    }
    const ready = Object.values(results).every((r) => r === 'ok');
    return c.json({ status: ready ? 'ready' : 'not_ready', checks: results }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    const body = await options.metrics.registry.metrics();
    return c.body(body, 200, { 'Content-Type': options.metrics.registry.contentType });
  });
}
