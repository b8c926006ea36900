import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry, type RegistryContentType } from 'prom-client';
import { PlainCounter, PlainHistogram } from './plain-metrics.ts';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 3];
const labelNames = ['operation', 'backend', 'outcome'] as const;
type Labels = Record<(typeof labelNames)[number], string>;

describe('plain-number metrics', () => {
  // OpenMetrics too: the registry renames `_total` counters there and reads the name back.
  it.each([Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE])('write exactly what prom-client writes for the same increments and observations, bound or not (%s)', async (contentType) => {
    const registry = () => {
      const r = new Registry<RegistryContentType>();
      r.setContentType(contentType);
      return r as Registry;
    };
    const ours = registry();
    const theirs = registry();
    const counter = new PlainCounter(ours, 'portcullis_test_decisions_total', 'Decisions.', ['allowed']);
    const histogram = new PlainHistogram(ours, 'portcullis_test_duration_seconds', 'Durations.', labelNames, BUCKETS);
    const refCounter = new Counter({ name: 'portcullis_test_decisions_total', help: 'Decisions.', labelNames: ['allowed'], registers: [theirs] });
    const refHistogram = new Histogram({ name: 'portcullis_test_duration_seconds', help: 'Durations.', labelNames, buckets: BUCKETS, registers: [theirs] });

    const allowed = counter.series({ allowed: 'true' });
    const ok = histogram.series({ operation: 'check', backend: 'embedded', outcome: 'ok' });
    const observations: [Labels, number][] = [
      [{ operation: 'check', backend: 'embedded', outcome: 'ok' }, 0.0001],
      [{ operation: 'check', backend: 'embedded', outcome: 'ok' }, 0.0005],
      [{ operation: 'check', backend: 'embedded', outcome: 'ok' }, 0.2],
      [{ operation: 'check', backend: 'embedded', outcome: 'validation_error' }, 0.003],
      [{ operation: 'write', backend: 'embedded', outcome: 'ok' }, 4],
      [{ operation: 'list"Objects\\', backend: 'openfga', outcome: 'ok' }, 1],
    ];
    for (const [labels, seconds] of observations) {
      if (labels.operation === 'check' && labels.outcome === 'ok') ok.observe(seconds);
      else histogram.observe(labels, seconds);
      refHistogram.observe(labels, seconds);
    }
    for (let i = 0; i < 3; i++) allowed.inc();
    counter.inc({ allowed: 'false' }, 2);
    refCounter.inc({ allowed: 'true' }, 3);
    refCounter.inc({ allowed: 'false' }, 2);

    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
