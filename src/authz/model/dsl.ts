import { transformer, validator } from '@openfga/syntax-transformer';
import { fgaError } from '../errors.ts';
import { normalizeModelBody, type ModelBody } from './normalize.ts';

/**
 * OpenFGA DSL (`model\n  schema 1.1\ntype user ...`) to the JSON body of a model write. The
 * transformer only parses; the language validator adds the semantic rules (undefined types and
 * relations, entrypoints, cycles, conditions). Either failure is `invalid_authorization_model`,
 * the code OpenFGA gives a model it will not accept, with every reported problem in the message.
 */
export function dslToModel(dsl: string): ModelBody {
  let json: unknown;
  try {
    json = transformer.transformDSLToJSONObject(dsl);
    validator.validateDSL(dsl);
  } catch (err) {
    throw fgaError('invalid_authorization_model', describe(err));
  }
  return normalizeModelBody(json);
}

function describe(err: unknown): string {
  const errors = (err as { errors?: { message?: string; msg?: string; line?: { start: number }; column?: { start: number } }[] }).errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors
      .map((e) => {
        const where = e.line ? ` (line ${e.line.start + 1}, column ${(e.column?.start ?? 0) + 1})` : '';
        return `${e.msg ?? e.message ?? String(e)}${where}`;
      })
      .join('; ');
  }
  return (err as Error)?.message ?? String(err);
}
