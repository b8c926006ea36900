import type { Registry } from 'prom-client';

/**
 * Counters and histograms for hot paths, kept as plain numbers per label set and turned into
 * prom-client's metric values when /metrics is scraped. prom-client's own children hash their
 * labels on every increment or observation, which at one or more per request costs more than a
 * cheap request's handler; the exposition is the same. Bind a label set once (`series`) and keep
 * it where the path is hot.
 */

export interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

type Labels<L extends string> = Record<L, string>;

/** The label sets of one metric, each created on first use. */
class SeriesMap<L extends string, S> {
  readonly #series = new Map<string, S>();

  constructor(
    private readonly labelNames: readonly L[],
    private readonly create: (labels: Labels<L>) => S,
  ) {}

  get(labels: Labels<L>): S {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let s = this.#series.get(key);
    if (s === undefined) {
      s = this.create({ ...labels });
      this.#series.set(key, s);
    }
    return s;
  }

  values(): S[] {
    return [...this.#series.values()];
  }
}

/** A metric's label sets and its registration; `get` (what the registry reads) is the subclass's. */
abstract class PlainMetric<L extends string, S> {
  abstract readonly type: 'counter' | 'histogram';
  readonly #series: SeriesMap<L, S>;

  constructor(
    registry: Registry,
    /** Not readonly: the registry renames a `_total` counter when it writes OpenMetrics, and `get` reads it back. */
    public name: string,
    readonly help: string,
    labelNames: readonly L[],
    create: (labels: Labels<L>) => S,
  ) {
    this.#series = new SeriesMap(labelNames, create);
    registry.registerMetric(this as never);
  }

  /** The series of one label set (bind it once on hot paths). */
  series(labels: Labels<L>): S {
    return this.#series.get(labels);
  }

  /** Every label set used so far. */
  all(): S[] {
    return this.#series.values();
  }
}

export class CounterSeries {
  value = 0;
  constructor(readonly labels: Record<string, string>) {}
  inc(by = 1): void {
    this.value += by;
  }
}

export class PlainCounter<L extends string> extends PlainMetric<L, CounterSeries> {
  readonly type = 'counter';

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
    super(registry, name, help, labelNames, (labels) => new CounterSeries(labels));
  }

  inc(labels: Labels<L>, by = 1): void {
    this.series(labels).inc(by);
  }

  async get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: 'sum',
      values: this.all().map((s): MetricValue => ({ value: s.value, labels: { ...s.labels } })),
    };
  }
}

export class HistogramSeries {
  count = 0;
  sum = 0;
  /** Observations per bucket (not cumulative); the last slot is above the largest bound. */
  readonly perBucket: Float64Array;

  constructor(
    readonly labels: Record<string, string>,
    private readonly buckets: readonly number[],
  ) {
    this.perBucket = new Float64Array(buckets.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.buckets.length && value > (this.buckets[i] as number)) i++;
    this.perBucket[i] = (this.perBucket[i] as number) + 1;
    this.count++;
    this.sum += value;
  }
}

export class PlainHistogram<L extends string> extends PlainMetric<L, HistogramSeries> {
  readonly type = 'histogram';

  constructor(
    registry: Registry,
    name: string,
    help: string,
    labelNames: readonly L[],
    private readonly buckets: readonly number[],
  ) {
    super(registry, name, help, labelNames, (labels) => new HistogramSeries(labels, buckets));
  }

  observe(labels: Labels<L>, value: number): void {
    this.series(labels).observe(value);
  }

  async get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values: this.all().flatMap((s) => this.#values(s)) };
  }

  #values(s: HistogramSeries): MetricValue[] {
    const out: MetricValue[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      cumulative += s.perBucket[i] as number;
      out.push({ metricName: `${this.name}_bucket`, value: cumulative, labels: { le: this.buckets[i] as number, ...s.labels } });
    }
    out.push({ metricName: `${this.name}_bucket`, value: s.count, labels: { le: '+Inf', ...s.labels } });
    out.push({ metricName: `${this.name}_sum`, value: s.sum, labels: { ...s.labels } });
    out.push({ metricName: `${this.name}_count`, value: s.count, labels: { ...s.labels } });
    return out;
  }
}
