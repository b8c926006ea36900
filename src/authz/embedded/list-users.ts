import type { ExpandRequest, ExpandResponse, ListObjectsRequest, ListUsersRequest, ListUsersResponse } from '@openfga/sdk';
import type { ListResult } from '../engine.ts';
import { fgaError } from '../errors.ts';
import type { EmbeddedAuthzEngine } from './engine.ts';

export function runListUsers(_engine: EmbeddedAuthzEngine, _storeId: string, _body: ListUsersRequest): ListResult<ListUsersResponse> {
  throw fgaError('unimplemented', 'not implemented yet');
}
