import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ReportedCost, addRequestCost, timedCost } from './request-cost.ts';
import './context.ts';

/** Keeps the main thread busy for `ms` of real time. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** An app whose middleware measures each request with `ReportedCost` and answers the cost in a header. */
function measured(route: (app: Hono) => void) {
  const app = new Hono();
  const meter = new ReportedCost();
  app.use('*', async (c, next) => {
    const ms = await meter.measure(c, next);
    c.header('x-cost', String(ms));
  });
  route(app);
  return async (path: string) => Number((await app.request(path)).headers.get('x-cost'));
}

describe('request cost reported by the route', () => {
  it('is what the route timed, summed over its timed parts, across awaits', async () => {
    const cost = measured((app) =>
      app.get('/acs', async (c) => {
        await timedCost(c, async () => {
          spin(20);
          await Promise.resolve();
          spin(20);
        });
        await timedCost(c, async () => spin(20));
        return c.text('ok');
      }),
    );
    expect(await cost('/acs')).toBeGreaterThanOrEqual(60);
  });

  it('is 0 for a route that reports nothing, however long it takes', async () => {
    const cost = measured((app) =>
      app.get('/page', async (c) => {
        spin(30);
        await new Promise((resolve) => setTimeout(resolve, 30));
        return c.text('ok');
      }),
    );
    expect(await cost('/page')).toBe(0);
  });

  it('stands when the timed work throws, and the error still reaches the caller', async () => {
    const cost = measured((app) => {
      app.get('/fails', async (c) => {
        await timedCost(c, async () => {
          spin(15);
          throw new Error('refused');
        });
        return c.text('unreachable');
      });
      app.onError((err, c) => c.text(err.message, 400));
    });
    expect(await cost('/fails')).toBeGreaterThanOrEqual(15);
  });

  it('adds reported amounts', async () => {
    const cost = measured((app) =>
      app.get('/x', (c) => {
        addRequestCost(c, 2.5);
        addRequestCost(c, 4);
        return c.text('ok');
      }),
    );
    expect(await cost('/x')).toBe(6.5);
  });
});
