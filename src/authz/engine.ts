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
  ReadAuthorizationModelsResponse,
  ReadChangesResponse,
  ReadRequest,
  ReadResponse,
  Store,
  TupleKey,
  TupleKeyWithoutCondition,
  WriteAuthorizationModelRequest,
} from '@openfga/sdk';

/**
 * The authorization engine: the OpenFGA v1 API as an interface. Request and response bodies are
 * OpenFGA's own wire shapes (snake_case JSON, the types `@openfga/sdk` exports), so the HTTP
 * layer is a thin pass-through and both implementations answer identically:
 *
 * - `embedded`: tuples and models in Portcullis' SQLite; always fully consistent.
 * - `openfga`:  a real OpenFGA server through `@openfga/sdk`; each tenant its own store.
 *
 * Errors are thrown as `OpenFgaError` (./errors.ts) carrying OpenFGA's error code names.
 * Every method takes the store id first; callers have already checked that the caller may
 * reach that store. The shared contract suite (engine.contract.ts) runs against every
 * implementation.
 */
export interface AuthzEngine {
  readonly kind: 'embedded' | 'openfga';

  createStore(name: string): Promise<Store>;
  deleteStore(storeId: string): Promise<void>;

  writeAuthorizationModel(storeId: string, body: WriteAuthorizationModelRequest): Promise<{ authorization_model_id: string }>;
  /** A model by id, or the latest when `modelId` is undefined. Throws when there is none. */
  readAuthorizationModel(storeId: string, modelId?: string): Promise<AuthorizationModel>;
  readAuthorizationModels(storeId: string, page: PageRequest): Promise<ReadAuthorizationModelsResponse>;

  /** Writes and deletes in one transaction: all apply or none. */
  write(storeId: string, body: WriteBody): Promise<void>;
  read(storeId: string, body: ReadRequest): Promise<ReadResponse>;
  readChanges(storeId: string, query: ReadChangesQuery): Promise<ReadChangesResponse>;

  check(storeId: string, body: CheckRequest): Promise<CheckResponse>;
  batchCheck(storeId: string, body: BatchCheckRequest): Promise<BatchCheckResponse>;
  expand(storeId: string, body: ExpandRequest): Promise<ExpandResponse>;
  /** Never silently partial: `truncated: true` when the backend could not give every object. */
  listObjects(storeId: string, body: ListObjectsRequest): Promise<ListResult<{ objects: string[] }>>;
  listUsers(storeId: string, body: ListUsersRequest): Promise<ListResult<ListUsersResponse>>;

  /** Deprovisioning hook: deletes every tuple whose user is `user` (e.g. `user:123`). Returns the count. */
  deleteTuplesForUser(storeId: string, user: string): Promise<number>;
}

export interface PageRequest {
  page_size?: number;
  continuation_token?: string;
}

export interface WriteBody {
  writes?: { tuple_keys: TupleKey[]; on_duplicate?: 'error' | 'ignore' };
  deletes?: { tuple_keys: TupleKeyWithoutCondition[]; on_missing?: 'error' | 'ignore' };
  authorization_model_id?: string;
}

export interface ReadChangesQuery extends PageRequest {
  type?: string;
  start_time?: string;
}

export type ListResult<T> = T & { truncated?: boolean };
