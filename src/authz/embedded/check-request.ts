import type { BatchCheckRequest, BatchCheckResponse, BatchCheckSingleResult, CheckRequest, CheckResponse, ErrorCode, InternalErrorCode } from '@openfga/sdk';
import { OpenFgaError, validationError } from '../errors.ts';
import type { CompiledModel, RelationInfo } from '../model/compile.ts';
import { parseUser, splitObject } from '../model/keys.ts';
import { answerFromOwnTuple, Checker } from './check.ts';
import type { EmbeddedAuthzEngine } from './engine.ts';
import { EvalContext } from './eval-context.ts';
import { contextualRows, MAX_CONTEXTUAL_TUPLES, requestContext, requireTupleKey } from './requests.ts';
import { userObjectRelationProblem } from './tuple-validation.ts';

/** OpenFGA's default `max-checks-per-batch-check`. */
export const MAX_CHECKS_PER_BATCH = 50;

type CheckBody = Pick<CheckRequest, 'tuple_key' | 'contextual_tuples' | 'context'>;

/**
 * Check, with OpenFGA's request validation (`validateCheckRequest`) and error codes. One
 * statement fetches the store's model and the exact tuple asked about; when that tuple settles
 * the answer (see `answerFromOwnTuple`) nothing else is read, otherwise the evaluation reads the
 * rest in one snapshot.
 */
export function runCheck(engine: EmbeddedAuthzEngine, storeId: string, body: CheckRequest): CheckResponse {
  const tk = requireTupleKey(body?.tuple_key, 'Check');
  const [type, id] = splitObject(tk.object);
  const user = parseUser(tk.user);
  const { model, tuple } = engine.prefetch.start(storeId, body.authorization_model_id, type, id, tk.relation, user);
  const problem = userObjectRelationProblem(model, tk);
  if (problem) throw validationError(`invalid relation: ${problem.cause}`);
  const context = requestContext(body.context);
  const contextual = contextualRows(model, body.contextual_tuples?.tuple_keys, 'check');
  const ctx = new EvalContext(model, engine.reader(storeId, contextual), context);
  if (contextual.length === 0) {
    const answer = answerFromOwnTuple(ctx, model.relation(type, tk.relation) as RelationInfo, user, id, tuple);
    if (answer !== undefined) return { allowed: answer };
  }
  return { allowed: engine.snapshot(() => new Checker(ctx, user).check(type, id, tk.relation)) };
}

function checkWith(engine: EmbeddedAuthzEngine, storeId: string, model: CompiledModel, body: CheckBody): boolean {
  const tk = requireTupleKey(body.tuple_key, 'Check');
  const problem = userObjectRelationProblem(model, tk);
  if (problem) throw validationError(`invalid relation: ${problem.cause}`);
  const context = requestContext(body.context);
  const contextual = contextualRows(model, body.contextual_tuples?.tuple_keys, 'check');
  const ctx = new EvalContext(model, engine.reader(storeId, contextual), context);
  const [type, id] = splitObject(tk.object);
  return new Checker(ctx, parseUser(tk.user)).check(type, id, tk.relation);
}

/**
 * BatchCheck: every item is checked independently against one model; an item that fails gets
 * `{error: {input_error | internal_error, message}}` instead of failing the batch.
 */
export function runBatchCheck(engine: EmbeddedAuthzEngine, storeId: string, body: BatchCheckRequest): BatchCheckResponse {
  const checks = body?.checks;
  if (!Array.isArray(checks) || checks.length === 0) {
    throw validationError('batch check requires at least one check to evaluate, no checks were received');
  }
  if (checks.length > MAX_CHECKS_PER_BATCH) {
    throw validationError(`batchCheck received ${checks.length} checks, the maximum allowed is ${MAX_CHECKS_PER_BATCH}`);
  }
  const seen = new Set<string>();
  for (const item of checks) {
    const id = item?.correlation_id;
    if (typeof id !== 'string' || id === '') throw validationError('received empty correlation id for tuple');
    if (!/^[\w\d-]{1,36}$/.test(id)) throw validationError(`invalid BatchCheckItem.CorrelationId: value does not match regex pattern "^[\\w\\d-]{1,36}$"`);
    if (seen.has(id)) throw validationError(`received duplicate correlation id: ${id}`);
    seen.add(id);
  }
  for (const item of checks) {
    requireTupleKey(item.tuple_key, 'BatchCheckItem');
    // OpenFGA validates every item's contextual tuple count with the request: too many refuses the batch.
    const ctx = item.contextual_tuples?.tuple_keys;
    if (Array.isArray(ctx) && ctx.length > MAX_CONTEXTUAL_TUPLES) {
      throw validationError(`invalid ContextualTupleKeys.TupleKeys: value must contain no more than ${MAX_CONTEXTUAL_TUPLES} item(s)`);
    }
  }
  const model = engine.model(storeId, body.authorization_model_id);
  const result: Record<string, BatchCheckSingleResult> = {};
  for (const item of checks) {
    try {
      result[item.correlation_id] = { allowed: checkWith(engine, storeId, model, item) };
    } catch (err) {
      if (!(err instanceof OpenFgaError)) throw err;
      result[item.correlation_id] = {
        error: err.status < 500 ? { input_error: err.code as ErrorCode, message: err.message } : { internal_error: 'internal_error' as InternalErrorCode, message: err.message },
      };
    }
  }
  return { result };
}
