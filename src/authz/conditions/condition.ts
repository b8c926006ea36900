import type { Condition } from '@openfga/sdk';
import { Environment } from '@marcbachmann/cel-js';
import type { CelNode } from './cel-ast.ts';
import { CostMeter } from './cost-meter.ts';
import { DEFAULT_MAX_CONDITION_COST } from './cost-model.ts';
import { assertOpenFgaDeclarations } from './declarations.ts';
import { IPAddress } from './ipaddress.ts';
import { matchesLinear, useLinearMatches } from './linear-regex.ts';
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

type Program = ((vars: Record<string, unknown>) => unknown) & { ast: unknown; check(): { valid: boolean; type?: string; error?: Error } };

/** How conditions are compiled and evaluated. */
export interface ConditionOptions {
  /**
   * The largest cel-go cost one evaluation may reach (OpenFGA's `--max-condition-evaluation-cost`,
   * 100 by default); a costlier evaluation fails with cel-go's "actual cost limit exceeded".
   */
  maxCost?: number;
  /**
   * Price programs as OpenFGA plans them, with cel-go's constant folding (`cel.OptOptimize`;
   * default). Off only to compare with cel-go's own cost tests, which plan without it.
   */
  constantFolding?: boolean;
}

/**
 * Parser limits. OpenFGA accepts expressions of at most 512 bytes; these bound what one can
 * make the parser build, with room to spare (the densest 512-byte expressions stay far below).
 */
const PARSER_LIMITS = { maxAstNodes: 2048, maxDepth: 250, maxListElements: 512, maxMapEntries: 512, maxCallArguments: 32 };

let baseEnvironment: Environment | undefined;

/** The shared environment: OpenFGA's `ipaddress` type, its constructor and `in_cidr`; cel-go's global `matches`. */
function base(): Environment {
  if (!baseEnvironment) {
    const env = new Environment({ homogeneousAggregateLiterals: false, limits: PARSER_LIMITS })
      .registerType('IPAddress', IPAddress as unknown as new (...args: unknown[]) => unknown)
      .registerFunction('ipaddress(string): IPAddress', (s: string) => {
        const ip = IPAddress.parse(s);
        if (!ip) throw new Error(`ParseAddr("${s}"): unable to parse IP`);
        return ip;
      })
      .registerFunction('IPAddress.in_cidr(string): bool', (ip: IPAddress, cidr: string) => ip.inCidr(cidr))
      .registerFunction('matches(string, string): bool', matchesLinear)
      .registerOperator('IPAddress == IPAddress', (a: IPAddress, b: IPAddress) => a.equals(b));
    baseEnvironment = env;
  }
  return baseEnvironment;
}

/** The outcome of one evaluation, as OpenFGA's `EvaluationResult`: whether it holds, and its cel-go cost. */
export interface ConditionResult {
  met: boolean;
  cost: number;
}

export class CompiledCondition {
  private constructor(
    readonly name: string,
    readonly parameters: ReadonlyMap<string, ParamType>,
    private readonly program: Program,
    private readonly meter: CostMeter,
    readonly maxCost: number,
  ) {}

  /** Compiles and type-checks a model condition; throws ConditionCompilationError. */
  static compile(condition: Condition, options: ConditionOptions = {}): CompiledCondition {
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
    let meter: CostMeter;
    try {
      program = env.parse(condition.expression) as unknown as Program;
      const checked = program.check();
      if (!checked.valid) throw checked.error ?? new Error('invalid expression');
      assertOpenFgaDeclarations(program.ast as CelNode, condition.name, new Set(parameters.keys()));
      if (checked.type !== 'bool') throw new Error(`expected a bool condition expression output, but got '${checked.type}'`);
      useLinearMatches(program.ast as CelNode);
      meter = CostMeter.install(program.ast, { constantFolding: options.constantFolding ?? true });
    } catch (err) {
      throw new ConditionCompilationError(condition.name, firstLine(err));
    }
    return new CompiledCondition(condition.name, parameters, program, meter, options.maxCost ?? DEFAULT_MAX_CONDITION_COST);
  }

  /**
   * Converts `context` to typed parameters; throws on a value of the wrong type and (with
   * `rejectUnknown`) on a key the condition does not declare — the check OpenFGA applies to the
   * context stored on a tuple.
   */
  typedParameters(context: Record<string, unknown>, rejectUnknown = false): Record<string, unknown> {
    const typed: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const keys = Object.keys(context);
    if (keys.length === 0) return typed;
    if (this.parameters.size === 0) throw this.#typeError('no parameters defined for the condition');
    for (const [name, type] of this.parameters) {
      if (!Object.hasOwn(context, name)) continue;
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
    return this.evaluation(tupleKey, requestContext, tupleContext).met;
  }

  /**
   * Evaluates under the cost limit and reports the cel-go cost it reached; throws
   * ConditionEvaluationError when it cannot be evaluated or would cost more than `maxCost`.
   */
  evaluation(tupleKey: string, requestContext: Record<string, unknown> | undefined, tupleContext: Record<string, unknown> | undefined): ConditionResult {
    const merged = tupleContext ? { ...requestContext, ...tupleContext } : (requestContext ?? {});
    let typed: Record<string, unknown>;
    try {
      typed = this.typedParameters(merged);
    } catch (err) {
      throw new ConditionEvaluationError(this.name, (err as Error).message);
    }
    const missing = [...this.parameters.keys()].filter((p) => !Object.hasOwn(typed, p));
    if (missing.length > 0) {
      throw new ConditionEvaluationError(this.name, `tuple '${tupleKey}' is missing context parameters '[${missing.join(' ')}]'`);
    }
    const run = this.meter.measure(this.maxCost, () => this.program(typed));
    if (run.exceeded) {
      throw new ConditionEvaluationError(this.name, 'failed to evaluate condition expression: operation cancelled: actual cost limit exceeded');
    }
    if ('error' in run) {
      throw new ConditionEvaluationError(this.name, `failed to evaluate condition expression: ${firstLine(run.error)}`);
    }
    return { met: run.value === true, cost: run.cost };
  }

  #typeError(reason: string): Error {
    return new Error(`parameter type error on condition '${this.name}' - ${reason}`);
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] as string;
}
