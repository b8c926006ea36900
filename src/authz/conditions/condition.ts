import type { Condition } from '@openfga/sdk';
import { Environment } from '@marcbachmann/cel-js';
import { IPAddress } from './ipaddress.ts';
import { celTypeOf, convertValue, decodeParamType, type ParamType } from './param-types.ts';

/**
 * A model condition compiled to a CEL program (with `@marcbachmann/cel-js`), evaluated the way
 * OpenFGA's `EvaluateTupleCondition` does: request context and the tuple's own context are merged
 * (the tuple's wins), values are converted to the declared parameter types, and a missing
 * parameter, a conversion failure or a runtime CEL error is an evaluation error — never `false`.
 */
export class ConditionEvaluationError extends Error {
  constructor(readonly condition: string, reason: string) {
    super(`failed to evaluate relationship condition: '${condition}' - ${reason}`);
    this.name = 'ConditionEvaluationError';
  }
}

/** The model's condition cannot be compiled (bad expression, unknown type, non-bool result). */
export class ConditionCompilationError extends Error {
  constructor(condition: string, reason: string) {
    super(`failed to compile expression on condition '${condition}' - ${reason}`);
    this.name = 'ConditionCompilationError';
  }
}

type Program = (vars: Record<string, unknown>) => unknown;

let baseEnvironment: Environment | undefined;

/** The shared environment: OpenFGA's `ipaddress` type, its constructor and `in_cidr`. */
function base(): Environment {
  if (!baseEnvironment) {
    const env = new Environment({ homogeneousAggregateLiterals: false })
      .registerType('IPAddress', IPAddress as unknown as new (...args: unknown[]) => unknown)
      .registerFunction('ipaddress(string): IPAddress', (s: string) => {
        const ip = IPAddress.parse(s);
        if (!ip) throw new Error(`ParseAddr("${s}"): unable to parse IP`);
        return ip;
      })
      .registerFunction('IPAddress.in_cidr(string): bool', (ip: IPAddress, cidr: string) => ip.inCidr(cidr))
      .registerOperator('IPAddress == IPAddress', (a: IPAddress, b: IPAddress) => a.equals(b));
    baseEnvironment = env;
  }
  return baseEnvironment;
}

export class CompiledCondition {
  private constructor(
    readonly name: string,
    readonly parameters: ReadonlyMap<string, ParamType>,
    private readonly program: Program,
  ) {}

  /** Compiles and type-checks a model condition; throws ConditionCompilationError. */
  static compile(condition: Condition): CompiledCondition {
    const parameters = new Map<string, ParamType>();
    let env = base().clone();
    for (const [name, ref] of Object.entries(condition.parameters ?? {})) {
      let type: ParamType;
      try {
        type = decodeParamType(ref);
      } catch (err) {
        throw new ConditionCompilationError(condition.name, `failed to decode parameter type for parameter '${name}': ${(err as Error).message}`);
      }
      parameters.set(name, type);
      env = env.registerVariable(name, celTypeOf(type));
    }
    let program: Program;
    try {
      const checked = env.check(condition.expression);
      if (!checked.valid) throw checked.error ?? new Error('invalid expression');
      if (checked.type !== 'bool') throw new Error(`expected a bool condition expression output, but got '${checked.type}'`);
      program = env.parse(condition.expression) as unknown as Program;
    } catch (err) {
      throw new ConditionCompilationError(condition.name, firstLine(err));
    }
    return new CompiledCondition(condition.name, parameters, program);
  }

  /**
   * Converts `context` to typed parameters; throws on a value of the wrong type and (with
   * `rejectUnknown`) on a key the condition does not declare — the check OpenFGA applies to the
   * context stored on a tuple.
   */
  typedParameters(context: Record<string, unknown>, rejectUnknown = false): Record<string, unknown> {
    const typed: Record<string, unknown> = {};
    const keys = Object.keys(context);
    if (keys.length === 0) return typed;
    if (this.parameters.size === 0) throw this.#typeError('no parameters defined for the condition');
    for (const [name, type] of this.parameters) {
      if (!(name in context)) continue;
      try {
        typed[name] = convertValue(type, context[name]);
      } catch (err) {
        throw this.#typeError(`failed to convert context parameter '${name}': ${(err as Error).message}`);
      }
    }
    if (rejectUnknown) {
      for (const key of keys) if (!this.parameters.has(key)) throw new Error(`found invalid context parameter: ${key}`);
    }
    return typed;
  }

  /** True when the condition holds; throws ConditionEvaluationError when it cannot be evaluated. */
  evaluate(tupleKey: string, requestContext: Record<string, unknown> | undefined, tupleContext: Record<string, unknown> | undefined): boolean {
    const merged = tupleContext ? { ...requestContext, ...tupleContext } : (requestContext ?? {});
    let typed: Record<string, unknown>;
    try {
      typed = this.typedParameters(merged);
    } catch (err) {
      throw new ConditionEvaluationError(this.name, (err as Error).message);
    }
    const missing = [...this.parameters.keys()].filter((p) => !(p in typed));
    if (missing.length > 0) {
      throw new ConditionEvaluationError(this.name, `tuple '${tupleKey}' is missing context parameters '[${missing.join(' ')}]'`);
    }
    try {
      return this.program(typed) === true;
    } catch (err) {
      throw new ConditionEvaluationError(this.name, `failed to evaluate condition expression: ${firstLine(err)}`);
    }
  }

  #typeError(reason: string): Error {
    return new Error(`parameter type error on condition '${this.name}' - ${reason}`);
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] as string;
}
