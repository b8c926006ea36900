import type {
  AuthorizationModel,
  BatchCheckRequest,
  BatchCheckResponse,
  CheckRequest,
  CheckResponse,
  ExpandRequest,
  ExpandResponse,
  ListObjectsRequest,
  ListUsersRequest,
  ListUsersResponse,
  OpenFgaApi,
  ReadAuthorizationModelsResponse,
  ReadChangesResponse,
  ReadRequest,
  ReadResponse,
  Store,
  WriteAuthorizationModelRequest,
  WriteRequest,
} from '@openfga/sdk';
import type { Clock } from '../../lib/clock.ts';
import type { AuthzEngine, ListResult, PageRequest, ReadChangesQuery, WriteBody } from '../engine.ts';
import { OpenFgaError } from '../errors.ts';
import { openFgaApi, type OpenFgaConnection } from './client.ts';
import { RecentWrites } from './consistency.ts';
import { fga } from './errors.ts';
import { listObjectsCompletely, listUsersMarked, type ServerListLimits } from './lists.ts';
import { deleteTuplesForUser } from './tuples.ts';
import { ContinuationTokens, invalidContinuationToken } from '../continuation-tokens.ts';

export interface OpenFgaEngineOptions {
  connection: OpenFgaConnection;
  clock: Clock;
  limits: ServerListLimits;
  /** How long after a write queries default to HIGHER_CONSISTENCY. */
  consistencyWindowMs: number;
  /** Seals OpenFGA's continuation tokens (derived from the KEK); a random key when absent. */
  continuationKey?: Buffer;
}

/** OpenFGA store names: 3-64 of letters, digits, spaces and `.-/^_&@`. */
export function openFgaStoreName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9\s.\-/^_&@]/g, '_').slice(0, 64);
  return cleaned.length >= 3 ? cleaned : cleaned.padEnd(3, '_');
}

/**
 * The engine over a real OpenFGA server, through `@openfga/sdk`. Bodies pass through unchanged;
 * errors keep the server's code and status. Lists are never silently partial (./lists.ts), and
 * queries after a write through Portcullis run with higher consistency (./consistency.ts).
 */
export class OpenFgaEngine implements AuthzEngine {
  readonly kind = 'openfga' as const;
  readonly api: OpenFgaApi;
  readonly #recent: RecentWrites;
  readonly #limits: ServerListLimits;

  readonly #tokens: ContinuationTokens;

  constructor(options: OpenFgaEngineOptions) {
    this.api = openFgaApi(options.connection);
    this.#tokens = new ContinuationTokens(options.continuationKey);
    this.#recent = new RecentWrites(options.clock, options.consistencyWindowMs);
    this.#limits = options.limits;
  }

  /** Marks a store as just written (also used by the staged writer). */
  markWritten(storeId: string): void {
    this.#recent.markWritten(storeId);
  }

  async createStore(name: string): Promise<Store> {
    const created = await fga(() => this.api.createStore({ name: openFgaStoreName(name) }));
    return created as Store;
  }

  async deleteStore(storeId: string): Promise<void> {
    await fga(() => this.api.deleteStore(storeId));
  }

  async writeAuthorizationModel(storeId: string, body: WriteAuthorizationModelRequest): Promise<{ authorization_model_id: string }> {
    const res = await fga(() => this.api.writeAuthorizationModel(storeId, body));
    return { authorization_model_id: res.authorization_model_id };
  }

  async readAuthorizationModel(storeId: string, modelId?: string): Promise<AuthorizationModel> {
    if (modelId !== undefined) {
      const res = await fga(() => this.api.readAuthorizationModel(storeId, modelId));
      if (!res.authorization_model) throw modelNotFound(modelId);
      return res.authorization_model;
    }
    const page = await fga(() => this.api.readAuthorizationModels(storeId, 1));
    const latest = page.authorization_models[0];
    if (!latest) {
      throw new OpenFgaError(400, 'latest_authorization_model_not_found', `No authorization models found for store '${storeId}'`);
    }
    return latest;
  }

  async readAuthorizationModels(storeId: string, page: PageRequest): Promise<ReadAuthorizationModelsResponse> {
    const token = this.#unseal(storeId, page.continuation_token, 'models');
    const answer = await fga(() => this.api.readAuthorizationModels(storeId, page.page_size, token));
    return { ...answer, continuation_token: this.#seal(storeId, 'models', answer.continuation_token) };
  }

  async write(storeId: string, body: WriteBody): Promise<void> {
    try {
      await fga(() => this.api.write(storeId, body as WriteRequest));
    } finally {
      this.#recent.markWritten(storeId);
    }
  }

  async read(storeId: string, body: ReadRequest): Promise<ReadResponse> {
    const token = this.#unseal(storeId, body?.continuation_token, 'read');
    const answer = await fga(() => this.api.read(storeId, this.#consistent(storeId, { ...body, continuation_token: token })));
    return { ...answer, continuation_token: this.#seal(storeId, 'read', answer.continuation_token) };
  }

  async readChanges(storeId: string, q: ReadChangesQuery): Promise<ReadChangesResponse> {
    const token = this.#unseal(storeId, q.continuation_token, 'changes');
    const answer = await fga(() => this.api.readChanges(storeId, q.type, q.page_size, token, q.start_time));
    // Nothing new: the poller keeps the token it has (as the embedded engine answers).
    const same = token !== undefined && answer.continuation_token === token;
    return { ...answer, continuation_token: same ? (q.continuation_token as string) : this.#seal(storeId, 'changes', answer.continuation_token) };
  }

  /**
   * OpenFGA's own tokens travel sealed and bound to their store and kind (as the embedded
   * engine's do): the server answered 500 to a token of another kind, and accepted one of
   * another store.
   */
  #unseal(storeId: string, token: string | undefined, kind: string): string | undefined {
    const position = this.#tokens.decode(storeId, token, kind);
    if (position === undefined) return undefined;
    if (typeof position[0] !== 'string' || position[0] === '') throw invalidContinuationToken();
    return position[0];
  }

  #seal(storeId: string, kind: string, token: string | undefined): string {
    return token ? this.#tokens.encode(storeId, kind, [token]) : '';
  }

  async check(storeId: string, body: CheckRequest): Promise<CheckResponse> {
    return fga(() => this.api.check(storeId, this.#consistent(storeId, body)));
  }

  async batchCheck(storeId: string, body: BatchCheckRequest): Promise<BatchCheckResponse> {
    return fga(() => this.api.batchCheck(storeId, this.#consistent(storeId, body)));
  }

  async expand(storeId: string, body: ExpandRequest): Promise<ExpandResponse> {
    return fga(() => this.api.expand(storeId, this.#consistent(storeId, body)));
  }

  async listObjects(storeId: string, body: ListObjectsRequest): Promise<ListResult<{ objects: string[] }>> {
    return listObjectsCompletely(this.api, storeId, this.#consistent(storeId, body), this.#limits);
  }

  async listUsers(storeId: string, body: ListUsersRequest): Promise<ListResult<ListUsersResponse>> {
    return listUsersMarked(this.api, storeId, this.#consistent(storeId, body), this.#limits);
  }

  async deleteTuplesForUser(storeId: string, user: string): Promise<number> {
    try {
      return await deleteTuplesForUser(this.api, storeId, user);
    } finally {
      this.#recent.markWritten(storeId);
    }
  }

  /** The server answers; used by /readyz. */
  async ready(): Promise<boolean> {
    try {
      await fga(() => this.api.listStores(1));
      return true;
    } catch {
      return false;
    }
  }

  #consistent<T extends { consistency?: unknown }>(storeId: string, body: T): T {
    const consistency = this.#recent.consistencyFor(storeId, body.consistency as string | undefined);
    return consistency === body.consistency ? body : { ...body, consistency };
  }
}

const modelNotFound = (id: string) => new OpenFgaError(400, 'authorization_model_not_found', `Authorization Model '${id}' not found`);
