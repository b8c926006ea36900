import type { CheckRequest, CheckResponse, ListObjectsRequest, ListUsersRequest } from '@openfga/sdk';
import type { Metrics } from '../../observability/metrics.ts';
import { PlainCounter, PlainHistogram, type CounterSeries, type HistogramSeries } from '../../observability/plain-metrics.ts';
import type { AuthzEngine, ListResult } from '../engine.ts';
import { DelegatingEngine } from './delegating.ts';

type Operation = Exclude<keyof AuthzEngine, 'kind'>;
const OPERATIONS: Operation[] = [
  'createStore', 'deleteStore', 'writeAuthorizationModel', 'readAuthorizationModel', 'readAuthorizationModels',
  'write', 'read', 'readChanges', 'check', 'batchCheck', 'expand', 'listObjects', 'listUsers', 'deleteTuplesForUser',
];

/**
 * Latency and outcome of every engine call (`portcullis_authz_operation_duration_seconds` by
 * operation, backend and outcome), check decisions, and list answers marked truncated. Duration
 * and decisions are plain-number metrics (plain-metrics.ts) whose successful label sets are bound
 * once, so a Check costs two clock reads, an observation and an addition.
 */
export class MeteredAuthzEngine extends DelegatingEngine {
  readonly #duration: PlainHistogram<'operation' | 'backend' | 'outcome'>;
  readonly #ok = new Map<string, HistogramSeries>();
  readonly #allowed: CounterSeries;
  readonly #denied: CounterSeries;
  readonly #truncated;

  constructor(inner: AuthzEngine, metrics: Metrics) {
    super(inner);
    this.#duration = new PlainHistogram(
      metrics.registry,
      'portcullis_authz_operation_duration_seconds',
      'Authorization engine calls by operation, backend and outcome (ok or the error code).',
      ['operation', 'backend', 'outcome'],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 3],
    );
    const decisions = new PlainCounter(metrics.registry, 'portcullis_authz_check_decisions_total', 'Check answers by decision.', ['allowed']);
    this.#allowed = decisions.series({ allowed: 'true' });
    this.#denied = decisions.series({ allowed: 'false' });
    this.#truncated = metrics.counter('portcullis_authz_truncated_lists_total', 'List answers marked truncated, by operation.', ['operation']);
    for (const op of OPERATIONS) if (op !== 'check') this.#wrap(op);
  }

  override async check(storeId: string, body: CheckRequest): Promise<CheckResponse> {
    const started = performance.now();
    let res: CheckResponse;
    try {
      res = await this.inner.check(storeId, body);
    } catch (err) {
      this.#failed('check', started, err);
      throw err;
    }
    this.#observeOk('check', started);
    (res.allowed === true ? this.#allowed : this.#denied).inc();
    return res;
  }

  override async listObjects(storeId: string, body: ListObjectsRequest) {
    return this.#markTruncated('listObjects', await super.listObjects(storeId, body));
  }

  override async listUsers(storeId: string, body: ListUsersRequest) {
    return this.#markTruncated('listUsers', await super.listUsers(storeId, body));
  }

  /** Times a synchronous call made around this decorator (the audited transactional path). */
  timeSync<T>(operation: string, run: () => T): T {
    const started = performance.now();
    try {
      const out = run();
      this.#observeOk(operation, started);
      return out;
    } catch (err) {
      this.#failed(operation, started, err);
      throw err;
    }
  }

  #observeOk(operation: string, started: number): void {
    let ok = this.#ok.get(operation);
    if (!ok) this.#ok.set(operation, (ok = this.#duration.series({ operation, backend: this.inner.kind, outcome: 'ok' })));
    ok.observe((performance.now() - started) / 1000);
  }

  #failed(operation: string, started: number, err: unknown): void {
    this.#duration.observe({ operation, backend: this.inner.kind, outcome: outcomeOf(err) }, (performance.now() - started) / 1000);
  }

  #markTruncated<T>(operation: string, res: ListResult<T>): ListResult<T> {
    if (res.truncated) this.#truncated.inc({ operation });
    return res;
  }

  /** Times the call as seen from here (own overrides included). */
  #wrap(op: Operation): void {
    const original = (this[op] as (...a: unknown[]) => Promise<unknown>).bind(this);
    Object.defineProperty(this, op, {
      value: async (...args: unknown[]) => {
        const started = performance.now();
        try {
          const out = await original(...args);
          this.#observeOk(op, started);
          return out;
        } catch (err) {
          this.#failed(op, started, err);
          throw err;
        }
      },
    });
  }
}

const outcomeOf = (err: unknown) => ((err as { code?: unknown }).code ? String((err as { code: unknown }).code) : 'error');
