import type { ExpandRequest, ExpandResponse, ListObjectsRequest, ListUsersRequest, ListUsersResponse } from '@openfga/sdk';
import type { ListResult } from '../engine.ts';
import { fgaError } from '../errors.ts';
import type { EmbeddedAuthzEngine } from './engine.ts';

export function runExpand(_engine: EmbeddedAuthzEngine, _storeId: string, _body: ExpandRequest): ExpandResponse {
  throw fgaError('unimplemented', 'not implemented yet');
}
