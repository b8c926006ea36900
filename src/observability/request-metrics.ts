import type { Registry } from 'prom-client';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

interface Series {
  labels: { method: string; route: string; status: string };
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last slot is above the largest bound. */
  perBucket: Float64Array;
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/**
 * The per-request counter and latency histogram (`portcullis_http_requests_total`,
 * `portcullis_http_request_duration_seconds`), kept as plain numbers per series and turned into
 * prom-client's metric values when /metrics is scraped. prom-client's own children hash their
 * labels on every observation, which at one observation per request costs more than a cheap
 * request's handler; the exposition is the same.
 */
export class RequestMetrics {
  readonly #series = new Map<string, Series>();

  constructor(registry: Registry) {
    const series = () => this.#series.values();
    const counter = {
      // The registry renames a counter (drops `_total`) when it writes OpenMetrics: read it back.
      name: 'portcullis_http_requests_total',
      help: 'HTTP requests by method, route pattern and status.',
      type: 'counter',
      get: async () => ({
        name: counter.name,
        help: counter.help,
        type: 'counter',
        aggregator: 'sum',
        values: [...series()].map((s): MetricValue => ({ value: s.count, labels: { ...s.labels } })),
      }),
    };
    registry.registerMetric(counter as never);
    registry.registerMetric({
      name: 'portcullis_http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern and status.',
      type: 'histogram',
      get: async () => ({
        name: 'portcullis_http_request_duration_seconds',
        help: 'HTTP request latency by method, route pattern and status.',
        type: 'histogram',
        aggregator: 'sum',
        values: [...series()].flatMap(histogramValues),
      }),
    } as never);
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let s = this.#series.get(key);
    if (s === undefined) {
      s = { labels: { method, route, status: String(status) }, count: 0, sum: 0, perBucket: new Float64Array(BUCKETS.length + 1) };
      this.#series.set(key, s);
    }
    let i = 0;
    while (i < BUCKETS.length && seconds > (BUCKETS[i] as number)) i++;
    s.perBucket[i] = (s.perBucket[i] as number) + 1;
    s.count++;
    s.sum += seconds;
  }
}

function histogramValues(s: Series): MetricValue[] {
  const out: MetricValue[] = [];
  let cumulative = 0;
  for (let i = 0; i < BUCKETS.length; i++) {
    cumulative += s.perBucket[i] as number;
    out.push({ metricName: 'portcullis_http_request_duration_seconds_bucket', value: cumulative, labels: { le: BUCKETS[i] as number, ...s.labels } });
  }
  out.push({ metricName: 'portcullis_http_request_duration_seconds_bucket', value: s.count, labels: { le: '+Inf', ...s.labels } });
  out.push({ metricName: 'portcullis_http_request_duration_seconds_sum', value: s.sum, labels: { ...s.labels } });
  out.push({ metricName: 'portcullis_http_request_duration_seconds_count', value: s.count, labels: { ...s.labels } });
  return out;
}
