import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { PlainCounter } from './plain-metrics.ts';
import { RequestMetrics } from './request-metrics.ts';

/**
 * The service's Prometheus registry. One per composition root (no global registry), so tests
 * and several apps in one process never share counters.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly #requests = new RequestMetrics(this.registry);

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

  readonly checkLane = new PlainCounter(
    this.registry,
    'portcullis_check_lane_total',
    'POST /stores/{id}/check requests the Node-level Check lane answered itself, or handed on to the full stack.',
    ['outcome'],
  );

  /** Records one request in the request counter and latency histogram. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.#requests.observe(method, route, status, seconds);
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
