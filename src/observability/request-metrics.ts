import type { Registry } from 'prom-client';
import { PlainHistogram, type HistogramSeries, type MetricValue } from './plain-metrics.ts';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/**
 * The per-request counter and latency histogram (`portcullis_http_requests_total`,
 * `portcullis_http_request_duration_seconds`), as plain numbers (see plain-metrics.ts): the
 * counter is the histogram's count per label set.
 */
export class RequestMetrics {
  readonly #duration: PlainHistogram<'method' | 'route' | 'status'>;
  /** Label sets bound by one string key: a request costs one map lookup. */
  readonly #bound = new Map<string, HistogramSeries>();

  constructor(registry: Registry) {
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
        values: this.#duration.all().map((s): MetricValue => ({ value: s.count, labels: { ...s.labels } })),
      }),
    };
    registry.registerMetric(counter as never);
    this.#duration = new PlainHistogram(registry, 'portcullis_http_request_duration_seconds', 'HTTP request latency by method, route pattern and status.', ['method', 'route', 'status'], BUCKETS);
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let s = this.#bound.get(key);
    if (s === undefined) {
      s = this.#duration.series({ method, route, status: String(status) });
      this.#bound.set(key, s);
    }
    s.observe(seconds);
  }
}
