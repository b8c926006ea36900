import type { AuthorizationModel, TupleKey } from '@openfga/sdk';
import { errorNumberOf } from '../../../src/authz/error-codes.ts';

/**
 * What the conformance runner needs from a system under test. Implementations: the embedded
 * engine in process, and any OpenFGA-compatible HTTP API through `@openfga/sdk` (the real
 * OpenFGA server; Portcullis' `/stores` API). Failures surface as `ConformanceCallError` with
 * OpenFGA's numeric error code, whatever the transport reported.
 */
export interface ConformanceTarget {
  readonly name: string;
  createStore(name: string): Promise<string>;
  /** Writes a model (already transformed from DSL); resolves to its id. */
  writeModel(storeId: string, model: Omit<AuthorizationModel, 'id'>): Promise<string>;
  writeTuples(storeId: string, modelId: string, tuples: TupleKey[]): Promise<void>;
  check(storeId: string, modelId: string, request: CheckCall): Promise<boolean>;
  listObjects(storeId: string, modelId: string, request: ListObjectsCall): Promise<string[]>;
  /** Users as strings: `user:anne`, `user:*`, `group:eng#member`. */
  listUsers(storeId: string, modelId: string, request: ListUsersCall): Promise<string[]>;
  close?(): Promise<void>;
}

export interface QueryOptions {
  contextualTuples: TupleKey[];
  context?: Record<string, unknown>;
}

export interface CheckCall extends QueryOptions {
  tupleKey: { user: string; relation: string; object: string };
}

export interface ListObjectsCall extends QueryOptions {
  user: string;
  type: string;
  relation: string;
}

export interface ListUsersCall extends QueryOptions {
  object: { type: string; id: string };
  relation: string;
  filters: { type: string; relation?: string }[];
}

/** A call that failed with an OpenFGA error; `code` is numeric (2000, 2021, …), 0 when unknown. */
export class ConformanceCallError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(`${codeName} (${code}): ${message}`);
    this.name = 'ConformanceCallError';
  }

  /** From an error code name as the HTTP API reports it. */
  static fromName(name: string, message: string): ConformanceCallError {
    return new ConformanceCallError(errorNumberOf(name) ?? 0, name, message);
  }
}
