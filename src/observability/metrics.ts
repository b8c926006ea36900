import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus registry. One per composition root (no global registry), so tests
 * and several apps in one process never share counters.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'portcullis_http_requests_total',
    help: 'HTTP requests by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'portcullis_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly auditEvents = new Counter({
    name: 'portcullis_audit_events_total',
    help: 'Audit events written, by action.',
    labelNames: ['action'] as const,
    registers: [this.registry],
  });

  readonly authFailures = new Counter({
    name: 'portcullis_auth_failures_total',
    help: 'Requests refused for a missing or invalid credential.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'portcullis_rate_limited_total',
    help: 'Requests refused by a rate limit, by API realm.',
    labelNames: ['realm'] as const,
    registers: [this.registry],
  });

  readonly #requestSeries = new Map<string, { count: { inc(): void }; latency: { observe(v: number): void } }>();

  /** Records one request; label children are cached so the hot path does no label hashing. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let series = this.#requestSeries.get(key);
    if (!series) {
      const labels = { method, route, status: String(status) };
      series = { count: this.httpRequests.labels(labels), latency: this.httpDuration.labels(labels) };
      this.#requestSeries.set(key, series);
    }
    series.count.inc();
    series.latency.observe(seconds);
  }

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_' });
  }

  /** A gauge whose value is read when /metrics is scraped. */
  gauge(name: string, help: string, labelNames: string[], collect: (set: (labels: Record<string, string>, v: number) => void) => void): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        collect((labels, v) => this.set(labels, v));
      },
    });
  }

  /** A counter owned by a domain (SCIM, SSO, authz) registered on this registry. */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
