import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../lib/clock.ts';
import { Metrics } from '../observability/metrics.ts';
import { ScriptedCosts } from '../../test/helpers/request-costs.ts';
import { ClientBudget, clientBudget } from './client-budget.ts';
import './context.ts';

/** An app whose one route counts its runs, behind a budget of 100 ms/s, burst 1 000 ms, 1 ms per request. */
function setup(options: { off?: boolean } = {}) {
  const clock = new FakeClock();
  const costs = new ScriptedCosts();
  const metrics = new Metrics();
  const budget = new ClientBudget('test', { msPerSecond: 100, burstMs: 1000, requestMs: 1 }, clock, costs);
  let runs = 0;
  const app = new Hono();
  app.use('*', async (c, next) => {
    c.set('clientIp', c.req.header('x-test-ip') ?? null);
    await next();
  });
  app.use('*', clientBudget({ budgetFor: () => (options.off ? undefined : budget), refuse: (c, seconds) => c.text(`wait ${seconds}`, 429, { 'Retry-After': String(seconds) }), metrics }));
  app.post('/work', async (c) => {
    runs++;
    return c.text(`ran on ${await c.req.text()}`);
  });
  const call = (ip: string) => app.request('/work', { method: 'POST', headers: { 'x-test-ip': ip }, body: 'the body' });
  const refusals = async () => (await metrics.registry.getSingleMetric('portcullis_rate_limited_total')?.get())?.values.find((v) => v.labels.realm === 'test')?.value ?? 0;
  return { clock, costs, app, call, refusals, runs: () => runs };
}

describe('client budget middleware', () => {
  it('lets ordinary requests through with their bodies, charging only the up-front millisecond', async () => {
    const t = setup();
    t.costs.each = 0.8;
    expect(await (await t.call('192.0.2.1')).text()).toBe('ran on the body');
    for (let i = 1; i < 1000; i++) expect((await t.call('192.0.2.1')).status).toBe(200);
    const res = await t.call('192.0.2.1');
    expect([res.status, await res.text()]).toEqual([429, 'wait 1']);
    expect(t.runs()).toBe(1000);
  });

  it('charges what a request cost after it ran, and refuses the address without running anything until the debt is earned back', async () => {
    const t = setup();
    t.costs.queue(1500);
    expect((await t.call('192.0.2.1')).status).toBe(200);
    const refused = await t.call('192.0.2.1');
    // 1 000 − 1 500 = −500: 501 ms short of the next request's millisecond, at 100 ms a second.
    expect([refused.status, refused.headers.get('retry-after'), t.runs()]).toEqual([429, '6', 1]);
    expect(await t.refusals()).toBe(1);
    t.clock.advance(5000);
    expect((await t.call('192.0.2.1')).status).toBe(429);
    t.clock.advance(1000);
    expect((await t.call('192.0.2.1')).status).toBe(200);
    expect([t.runs(), await t.refusals()]).toEqual([2, 2]);
  });

  it('keeps addresses apart: one address in debt costs another nothing', async () => {
    const t = setup();
    t.costs.queue(5000);
    await t.call('192.0.2.1');
    expect((await t.call('192.0.2.1')).status).toBe(429);
    expect((await t.call('192.0.2.2')).status).toBe(200);
    expect((await t.call('::ffff:192.0.2.1')).status, 'the same address, IPv4-mapped').toBe(429);
  });

  it('files IPv6 clients by their /64', async () => {
    const t = setup();
    t.costs.queue(5000);
    await t.call('2001:db8:7:1::10');
    expect((await t.call('2001:db8:7:1:ffff::1')).status).toBe(429);
    expect((await t.call('2001:db8:7:2::10')).status).toBe(200);
  });

  it('lets every request through uncounted when the route has no budget', async () => {
    const t = setup({ off: true });
    t.costs.each = 60_000;
    for (let i = 0; i < 50; i++) expect((await t.call('192.0.2.1')).status).toBe(200);
    expect(await t.refusals()).toBe(0);
  });
});
