import type {
  AuthorizationModel, BatchCheckRequest, BatchCheckResponse, CheckRequest, CheckResponse, ExpandRequest, ExpandResponse,
  ListObjectsRequest, ListUsersRequest, ListUsersResponse, ReadAuthorizationModelsResponse, ReadChangesResponse,
  ReadRequest, ReadResponse, Store, WriteAuthorizationModelRequest,
} from '@openfga/sdk';
import type { Clock } from '../../lib/clock.ts';
import type { Storage } from '../../storage/storage.ts';
import type { AuthzEngine, ListResult, PageRequest, ReadChangesQuery, WriteBody } from '../engine.ts';
import { validationError } from '../errors.ts';
import type { CompiledModel, ModelOptions } from '../model/compile.ts';
import { normalizeModelBody } from '../model/normalize.ts';
import { validateModel } from '../model/validate.ts';
import { CheckPrefetch } from './check-prefetch.ts';
import { DEFAULT_DECISION_CACHE_SIZE, DecisionCache } from './decision-cache.ts';
import { runBatchCheck, runCheck } from './check-request.ts';
import { ContextualTupleReader } from './contextual-reader.ts';
import { runExpand } from './expand.ts';
import { MonotonicUlid } from './ids.ts';
import { runListObjects } from './list-objects.ts';
import { runListUsers } from './list-users.ts';
import { SqliteModelStore } from './model-store.ts';
import { readChanges, readTuples } from './read.ts';
import { ContinuationTokens } from '../continuation-tokens.ts';
import { SqliteStoreRegistry } from './store-registry.ts';
import { deleteTuplesFor } from './tuple-deletion.ts';
import { SqliteTupleStore, type TupleReader } from './tuple-store.ts';
import type { TupleRow } from './tuple-row.ts';
import { applyWrite, planWrite } from './tuple-writer.ts';

/**
 * The default authorization engine: OpenFGA 1.1 semantics over Portcullis' SQLite. Every call is
 * synchronous underneath (better-sqlite3), so an answer always reflects every committed write —
 * including one made earlier in the caller's own transaction. The `*Sync` methods are for callers
 * inside `storage.transaction` (the StagedTupleWriter); the async methods implement AuthzEngine.
 */
export class EmbeddedAuthzEngine implements AuthzEngine {
  readonly kind = 'embedded' as const;
  readonly stores: SqliteStoreRegistry;
  readonly models: SqliteModelStore;
  readonly tuples: SqliteTupleStore;
  readonly prefetch: CheckPrefetch;
  readonly #ids = new MonotonicUlid();
  readonly #readTransaction: (query: () => unknown) => unknown;
  readonly #decisions: DecisionCache;
  readonly #tokens: ContinuationTokens;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    options: ModelOptions & { decisionCacheSize?: number; continuationKey?: Buffer } = {},
  ) {
    this.#decisions = new DecisionCache(storage.changes, options.decisionCacheSize ?? DEFAULT_DECISION_CACHE_SIZE);
    this.#tokens = new ContinuationTokens(options.continuationKey);
    this.stores = new SqliteStoreRegistry(storage.sql);
    this.models = new SqliteModelStore(storage.sql, options, this.#tokens);
    this.tuples = new SqliteTupleStore(storage.sql);
    this.prefetch = new CheckPrefetch(storage.sql, this.models);
    this.#readTransaction = storage.sql.raw.transaction((query: () => unknown) => query());
  }

  /**
   * Runs a query's reads in one read transaction (or in the caller's transaction): every read
   * sees the same committed state, and the WAL read lock is taken once per query instead of once
   * per statement (that lock is most of the cost of a small indexed read).
   */
  snapshot<T>(query: () => T): T {
    return this.storage.sql.raw.inTransaction ? query() : (this.#readTransaction(query) as T);
  }

  createStoreSync(name: string): Store {
    if (typeof name !== 'string' || name.trim() === '' || name.length > 256) {
      throw validationError('invalid CreateStoreRequest.Name: value length must be between 1 and 256');
    }
    const now = this.clock.now();
    return this.storage.transaction(() => this.stores.create(this.#ids.next(now.getTime()), name, now));
  }

  async createStore(name: string): Promise<Store> {
    return this.createStoreSync(name);
  }

  async deleteStore(storeId: string): Promise<void> {
    this.storage.transaction(() => this.stores.delete(storeId, this.clock.now()));
  }

  async getStore(storeId: string): Promise<Store> {
    this.stores.assertExists(storeId);
    return this.stores.get(storeId) as Store;
  }

  writeAuthorizationModelSync(storeId: string, body: WriteAuthorizationModelRequest): { authorization_model_id: string } {
    this.stores.assertExists(storeId);
    const model = normalizeModelBody(body);
    validateModel(model);
    const now = this.clock.now();
    const id = this.#ids.next(now.getTime());
    this.storage.transaction(() => this.models.insert(storeId, id, model, now));
    return { authorization_model_id: id };
  }

  async writeAuthorizationModel(storeId: string, body: WriteAuthorizationModelRequest): Promise<{ authorization_model_id: string }> {
    return this.writeAuthorizationModelSync(storeId, body);
  }

  async readAuthorizationModel(storeId: string, modelId?: string): Promise<AuthorizationModel> {
    return this.snapshot(() => this.model(storeId, modelId).json);
  }

  async readAuthorizationModels(storeId: string, page: PageRequest): Promise<ReadAuthorizationModelsResponse> {
    this.stores.assertExists(storeId);
    return this.models.list(storeId, page);
  }

  /** The compiled model by id or the latest; throws OpenFGA's not-found codes. */
  model(storeId: string, modelId?: string): CompiledModel {
    return this.models.resolveInStore(storeId, modelId);
  }

  /**
   * Validates and applies a Write in one transaction (joining the caller's, if any).
   * `limit` lifts OpenFGA's 100-changes cap for the service's own bulk writes.
   */
  writeSync(storeId: string, body: WriteBody, limit?: number): { deleted: number; written: number } {
    this.stores.assertExists(storeId);
    const now = this.clock.now();
    const plan = planWrite(body, () => this.models.resolve(storeId, body.authorization_model_id), now, limit);
    const apply = () => applyWrite(this.tuples, storeId, plan, now);
    // Inside the caller's transaction a savepoint keeps a failed write all-or-nothing even if the
    // caller catches the error and commits the rest of its work.
    const raw = this.storage.sql.raw;
    return raw.inTransaction ? raw.transaction(apply)() : this.storage.transaction(apply);
  }

  async write(storeId: string, body: WriteBody): Promise<void> {
    this.writeSync(storeId, body);
  }

  async read(storeId: string, body: ReadRequest): Promise<ReadResponse> {
    this.stores.assertExists(storeId);
    return readTuples(this.storage.sql, this.#tokens, storeId, body);
  }

  async readChanges(storeId: string, query: ReadChangesQuery): Promise<ReadChangesResponse> {
    this.stores.assertExists(storeId);
    return readChanges(this.storage.sql, this.#tokens, storeId, query, this.clock.now());
  }

  /** The tuples a query sees: stored, with the request's contextual tuples in front. */
  reader(storeId: string, contextual: TupleRow[]): TupleReader {
    const base = this.tuples.reader(storeId);
    return contextual.length === 0 ? base : new ContextualTupleReader(base, contextual);
  }

  checkSync(storeId: string, body: CheckRequest): CheckResponse {
    return runCheck(this, storeId, body);
  }

  async check(storeId: string, body: CheckRequest): Promise<CheckResponse> {
    return this.#decisions.answer(storeId, body, () => runCheck(this, storeId, body));
  }

  async batchCheck(storeId: string, body: BatchCheckRequest): Promise<BatchCheckResponse> {
    return this.snapshot(() => runBatchCheck(this, storeId, body));
  }

  async expand(storeId: string, body: ExpandRequest): Promise<ExpandResponse> {
    return this.snapshot(() => runExpand(this, storeId, body));
  }

  async listObjects(storeId: string, body: ListObjectsRequest): Promise<ListResult<{ objects: string[] }>> {
    return this.snapshot(() => runListObjects(this, storeId, body));
  }

  async listUsers(storeId: string, body: ListUsersRequest): Promise<ListResult<ListUsersResponse>> {
    return this.snapshot(() => runListUsers(this, storeId, body));
  }

  deleteTuplesForUserSync(storeId: string, user: string): number {
    this.stores.assertExists(storeId);
    const now = this.clock.now();
    return this.storage.transaction(() => deleteTuplesFor(this.tuples, storeId, { user }, now));
  }

  async deleteTuplesForUser(storeId: string, user: string): Promise<number> {
    return this.deleteTuplesForUserSync(storeId, user);
  }

  deleteTuplesForObjectSync(storeId: string, object: string): number {
    this.stores.assertExists(storeId);
    const now = this.clock.now();
    return this.storage.transaction(() => deleteTuplesFor(this.tuples, storeId, { object }, now));
  }
}
