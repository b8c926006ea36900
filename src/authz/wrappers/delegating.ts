import type {
  BatchCheckRequest,
  CheckRequest,
  ExpandRequest,
  ListObjectsRequest,
  ListUsersRequest,
  ReadRequest,
  WriteAuthorizationModelRequest,
} from '@openfga/sdk';
import type { AuthzEngine, PageRequest, ReadChangesQuery, WriteBody } from '../engine.ts';

/** Passes every call to `inner`; decorators extend it and override what they add to. */
export class DelegatingEngine implements AuthzEngine {
  constructor(readonly inner: AuthzEngine) {}

  get kind() {
    return this.inner.kind;
  }

  createStore(name: string) {
    return this.inner.createStore(name);
  }
  deleteStore(storeId: string) {
    return this.inner.deleteStore(storeId);
  }
  writeAuthorizationModel(storeId: string, body: WriteAuthorizationModelRequest) {
    return this.inner.writeAuthorizationModel(storeId, body);
  }
  readAuthorizationModel(storeId: string, modelId?: string) {
    return this.inner.readAuthorizationModel(storeId, modelId);
  }
  readAuthorizationModels(storeId: string, page: PageRequest) {
    return this.inner.readAuthorizationModels(storeId, page);
  }
  write(storeId: string, body: WriteBody) {
    return this.inner.write(storeId, body);
  }
  read(storeId: string, body: ReadRequest) {
    return this.inner.read(storeId, body);
  }
  readChanges(storeId: string, query: ReadChangesQuery) {
    return this.inner.readChanges(storeId, query);
  }
  check(storeId: string, body: CheckRequest) {
    return this.inner.check(storeId, body);
  }
  batchCheck(storeId: string, body: BatchCheckRequest) {
    return this.inner.batchCheck(storeId, body);
  }
  expand(storeId: string, body: ExpandRequest) {
    return this.inner.expand(storeId, body);
  }
  listObjects(storeId: string, body: ListObjectsRequest) {
    return this.inner.listObjects(storeId, body);
  }
  listUsers(storeId: string, body: ListUsersRequest) {
    return this.inner.listUsers(storeId, body);
  }
  deleteTuplesForUser(storeId: string, user: string) {
    return this.inner.deleteTuplesForUser(storeId, user);
  }
}
