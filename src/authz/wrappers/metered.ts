import { Histogram } from 'prom-client';
import type { ListObjectsRequest, ListUsersRequest } from '@openfga/sdk';
import type { Metrics } from '../../observability/metrics.ts';
import type { AuthzEngine, ListResult } from '../engine.ts';
import { DelegatingEngine } from './delegating.ts';

type Operation = Exclude<keyof AuthzEngine, 'kind'>;
const OPERATIONS: Operation[] = [
  'createStore', 'deleteStore', 'writeAuthorizationModel', 'readAuthorizationModel', 'readAuthorizationModels',
  'write', 'read', 'readChanges', 'check', 'batchCheck', 'expand', 'listObjects', 'listUsers', 'deleteTuplesForUser',
];

/**
 * Latency and outcome of every engine call (`portcullis_authz_operation_duration_seconds` by
 * operation, backend and outcome), check decisions, and list answers marked truncated.
 */
export class MeteredAuthzEngine extends DelegatingEngine {
  readonly #duration: Histogram<'operation' | 'backend' | 'outcome'>;
  readonly #decisions;
  readonly #truncated;

  constructor(inner: AuthzEngine, metrics: Metrics) {
    super(inner);
    this.#duration = new Histogram({
      name: 'portcullis_authz_operation_duration_seconds',
      help: 'Authorization engine calls by operation, backend and outcome (ok or the error code).',
      labelNames: ['operation', 'backend', 'outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 3],
      registers: [metrics.registry],
    });
    this.#decisions = metrics.counter('portcullis_authz_check_decisions_total', 'Check answers by decision.', ['allowed']);
    this.#truncated = metrics.counter('portcullis_authz_truncated_lists_total', 'List answers marked truncated, by operation.', ['operation']);
    for (const op of OPERATIONS) this.#wrap(op);
  }

  override async check(...args: Parameters<AuthzEngine['check']>) {
    const res = await super.check(...args);
    this.#decisions.inc({ allowed: String(res.allowed === true) });
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
    const end = this.#duration.startTimer({ operation, backend: this.inner.kind });
    try {
      const out = run();
      end({ outcome: 'ok' });
      return out;
    } catch (err) {
      end({ outcome: outcomeOf(err) });
      throw err;
    }
  }

  #markTruncated<T>(operation: string, res: ListResult<T>): ListResult<T> {
    if (res.truncated) this.#truncated.inc({ operation });
    return res;
  }

  /** Times the call as seen from here (own overrides included). */
  #wrap(op: Operation): void {
    const original = (this[op] as (...a: unknown[]) => Promise<unknown>).bind(this);
    const histogram = this.#duration;
    const backend = this.inner.kind;
    Object.defineProperty(this, op, {
      value: async (...args: unknown[]) => {
        const end = histogram.startTimer({ operation: op, backend });
        try {
          const out = await original(...args);
          end({ outcome: 'ok' });
          return out;
        } catch (err) {
          end({ outcome: outcomeOf(err) });
          throw err;
        }
      },
    });
  }
}

const outcomeOf = (err: unknown) => ((err as { code?: unknown }).code ? String((err as { code: unknown }).code) : 'error');
