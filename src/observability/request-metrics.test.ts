import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { RequestMetrics } from './request-metrics.ts';

/** The same families as prom-client's own Counter and Histogram would write them. */
function reference() {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status'] as const;
  const count = new Counter({ name: 'portcullis_http_requests_total', help: 'HTTP requests by method, route pattern and status.', labelNames, registers: [registry] });
  const latency = new Histogram({
    name: 'portcullis_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status.',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return {
    registry,
    observe(method: string, route: string, status: number, seconds: number) {
      const labels = { method, route, status: String(status) };
      count.inc(labels);
      latency.observe(labels, seconds);
    },
  };
}

describe('RequestMetrics', () => {
  it('writes exactly what prom-client\'s Counter and Histogram write for the same observations', async () => {
    const registry = new Registry();
    const ours = new RequestMetrics(registry);
    const theirs = reference();
    const observations: [string, string, number, number][] = [
      ['GET', '/admin/v1/tenants/:tenant', 200, 0.0004],
      ['GET', '/admin/v1/tenants/:tenant', 200, 0.001],
      ['GET', '/admin/v1/tenants/:tenant', 200, 0.0011],
      ['GET', '/admin/v1/tenants/:tenant', 404, 0.003],
      ['POST', '/stores/:store_id/check', 200, 0.02],
      ['POST', '/stores/:store_id/check', 200, 5],
      ['POST', '/stores/:store_id/check', 200, 7.5],
      ['GET', 'unmatched', 404, 0],
      ['GET', '/a"quoted\\route', 500, 0.3],
    ];
    for (const o of observations) {
      ours.observe(...o);
      theirs.observe(...o);
    }
    expect(await registry.metrics()).toBe(await theirs.registry.metrics());
  });

  it('counts each request once per series and puts each latency in the first bucket that holds it', async () => {
    const registry = new Registry();
    const ours = new RequestMetrics(registry);
    for (let i = 0; i < 3; i++) ours.observe('GET', '/healthz', 200, 0.002);
    ours.observe('GET', '/healthz', 503, 0.7);
    const text = await registry.metrics();
    expect(text).toContain('portcullis_http_requests_total{method="GET",route="/healthz",status="200"} 3');
    expect(text).toContain('portcullis_http_requests_total{method="GET",route="/healthz",status="503"} 1');
    expect(text).toContain('portcullis_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/healthz",status="200"} 0');
    expect(text).toContain('portcullis_http_request_duration_seconds_bucket{le="0.0025",method="GET",route="/healthz",status="200"} 3');
    expect(text).toContain('portcullis_http_request_duration_seconds_bucket{le="0.5",method="GET",route="/healthz",status="503"} 0');
    expect(text).toContain('portcullis_http_request_duration_seconds_bucket{le="1",method="GET",route="/healthz",status="503"} 1');
    expect(text).toContain('portcullis_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 3');
    expect(text).toContain('portcullis_http_request_duration_seconds_sum{method="GET",route="/healthz",status="503"} 0.7');
  });
});
