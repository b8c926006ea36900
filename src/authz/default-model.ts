import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WriteAuthorizationModelRequest } from '@openfga/sdk';
import { transformer, validator } from '@openfga/syntax-transformer';

/** `policies/model.fga`: the model every new tenant store starts with. */
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('../../policies/model.fga', import.meta.url));

/** Reads an OpenFGA DSL file and returns the model as the API takes it (validated: syntax and semantics). */
export function loadModelFile(path: string): WriteAuthorizationModelRequest {
  const dsl = readFileSync(path, 'utf8');
  validator.validateDSL(dsl);
  const model = transformer.transformDSLToJSONObject(dsl);
  return {
    schema_version: model.schema_version,
    type_definitions: model.type_definitions,
    ...(model.conditions && Object.keys(model.conditions).length > 0 ? { conditions: model.conditions } : {}),
  } as WriteAuthorizationModelRequest;
}
