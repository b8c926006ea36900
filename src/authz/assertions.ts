import type { Assertion, OpenFgaApi } from '@openfga/sdk';
import type { Sql } from '../storage/database.ts';
import type { AuthzEngine } from './engine.ts';
import { requireTupleKey } from './embedded/requests.ts';
import { describeProblem, userObjectRelationProblem, writeProblem } from './embedded/tuple-validation.ts';
import { OpenFgaError, validationError } from './errors.ts';
import { CompiledModel } from './model/compile.ts';
import { fga } from './openfga/errors.ts';

/** OpenFGA's caps: assertions per model, contextual tuples per assertion. */
export const MAX_ASSERTIONS = 100;
export const MAX_ASSERTION_CONTEXTUAL_TUPLES = 20;

/**
 * Assertions: the expected answers an application keeps next to an authorization model (what
 * `fga model test` and the OpenFGA playground use). OpenFGA's Read/WriteAssertions.
 */
export interface AssertionStore {
  read(storeId: string, modelId: string): Promise<Assertion[]>;
  /**
   * Replaces the model's assertions. Throws OpenFGA's codes for an unknown model, type or
   * relation. `record` writes the audit event: in the same transaction when the assertions live
   * in Portcullis' database, right after the server accepted them otherwise.
   */
  write(storeId: string, modelId: string, assertions: Assertion[], record: () => void): Promise<void>;
}

interface Row {
  object: string;
  relation: string;
  user: string;
  expectation: number;
  contextual_tuples_json: string;
  context_json: string | null;
}

/** Embedded backend: assertions in SQLite, validated against the model like OpenFGA does. */
export class SqliteAssertionStore implements AssertionStore {
  constructor(
    private readonly sql: Sql,
    private readonly engine: AuthzEngine,
  ) {}

  async read(storeId: string, modelId: string): Promise<Assertion[]> {
    await this.engine.readAuthorizationModel(storeId, modelId);
    return this.sql
      .prepare<[string, string], Row>(
        `SELECT object, relation, user, expectation, contextual_tuples_json, context_json
         FROM authz_assertions WHERE store_id = ? AND model_id = ? ORDER BY position`,
      )
      .all(storeId, modelId)
      .map((r) => ({
        tuple_key: { object: r.object, relation: r.relation, user: r.user },
        expectation: r.expectation === 1,
        contextual_tuples: JSON.parse(r.contextual_tuples_json),
        // OpenFGA answers `null` for an assertion without context.
        context: r.context_json ? JSON.parse(r.context_json) : null,
      })) as Assertion[];
  }

  async write(storeId: string, modelId: string, assertions: Assertion[], record: () => void): Promise<void> {
    if (assertions.length > MAX_ASSERTIONS) {
      throw new OpenFgaError(400, 'assertions_too_many_items', `invalid WriteAssertionsRequest.Assertions: value must contain no more than ${MAX_ASSERTIONS} item(s)`);
    }
    for (const a of assertions) {
      requireTupleKey(a.tuple_key, 'Assertion');
      if ((a.contextual_tuples?.length ?? 0) > MAX_ASSERTION_CONTEXTUAL_TUPLES) {
        throw validationError(`invalid Assertion.ContextualTuples: value must contain no more than ${MAX_ASSERTION_CONTEXTUAL_TUPLES} item(s)`);
      }
    }
    const model = new CompiledModel(await this.engine.readAuthorizationModel(storeId, modelId));
    for (const a of assertions) {
      const problem = userObjectRelationProblem(model, a.tuple_key);
      if (problem) throw validationError(problem.cause);
      for (const t of a.contextual_tuples ?? []) {
        const invalid = writeProblem(model, t);
        if (invalid) throw validationError(describeProblem(t, invalid));
      }
    }
    const insert = this.sql.prepare(
      `INSERT INTO authz_assertions (store_id, model_id, position, object, relation, user, expectation, contextual_tuples_json, context_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.sql.transaction(() => {
      this.sql.prepare('DELETE FROM authz_assertions WHERE store_id = ? AND model_id = ?').run(storeId, modelId);
      assertions.forEach((a, i) =>
        insert.run(
          storeId, modelId, i, a.tuple_key.object, a.tuple_key.relation, a.tuple_key.user, a.expectation ? 1 : 0,
          JSON.stringify(a.contextual_tuples ?? []), a.context == null ? null : JSON.stringify(a.context),
        ),
      );
      record();
    });
  }
}

/** OpenFGA backend: the server keeps the assertions. */
export class OpenFgaAssertionStore implements AssertionStore {
  constructor(private readonly api: OpenFgaApi) {}

  async read(storeId: string, modelId: string): Promise<Assertion[]> {
    return (await fga(() => this.api.readAssertions(storeId, modelId))).assertions ?? [];
  }

  async write(storeId: string, modelId: string, assertions: Assertion[], record: () => void): Promise<void> {
    await fga(() => this.api.writeAssertions(storeId, modelId, { assertions }));
    record();
  }
}
