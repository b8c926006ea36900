import { ConditionEvaluationError } from '../conditions/condition.ts';
import { fgaError, OpenFgaError, validationError } from '../errors.ts';
import type { CompiledModel, RelationInfo } from '../model/compile.ts';
import type { TupleReader } from './tuple-store.ts';
import { rowToString, type TupleRow } from './tuple-row.ts';
import { isReadable } from './tuple-validation.ts';

/** OpenFGA's default resolution depth limit (`resolveNodeLimit`). */
export const MAX_RESOLUTION_DEPTH = 25;

export const resolutionTooComplex = () =>
  fgaError(
    'authorization_model_resolution_too_complex',
    'Authorization Model resolution required too many rewrite rules to be resolved. Check your authorization model for infinite recursion or too much nesting',
  );

/**
 * What one query evaluates against: the model, the tuples (stored plus contextual) and the
 * request context. Evaluation errors are `OpenFgaError`s (an unevaluable condition is
 * `validation_error`, too deep a resolution `authorization_model_resolution_too_complex`);
 * the evaluators combine them by OpenFGA's rules instead of failing on the first one.
 */
export class EvalContext {
  constructor(
    readonly model: CompiledModel,
    readonly tuples: TupleReader,
    readonly context: Record<string, unknown> | undefined,
  ) {}

  /** The tuple fits the relation's type restrictions and conditions under this model. */
  readable(info: RelationInfo, row: TupleRow): boolean {
    return isReadable(this.model, info, row, this.model.contextValidity);
  }

  /** The tuple's condition holds (true without a condition); throws when it cannot be evaluated. */
  holds(row: TupleRow): boolean {
    if (row.condition_name === '') return true;
    const condition = this.model.conditions.get(row.condition_name);
    if (!condition) throw validationError(`failed to evaluate relationship condition: '${row.condition_name}' - condition was not found`);
    try {
      const tupleContext = row.condition_context === null ? undefined : (JSON.parse(row.condition_context) as Record<string, unknown>);
      return condition.evaluate(rowToString(row), this.context, tupleContext);
    } catch (err) {
      if (err instanceof ConditionEvaluationError) throw validationError(err.message);
      throw err;
    }
  }
}

/** Errors that are part of an answer (and may be outweighed by another branch), not bugs. */
export function isEvalError(err: unknown): err is OpenFgaError {
  return err instanceof OpenFgaError;
}
