import { z } from '@hono/zod-openapi';

/**
 * OpenFGA v1 request and response bodies. Unknown fields are dropped, as OpenFGA's own JSON
 * decoding discards them; the engines validate contents (types, relations, ids) with OpenFGA's
 * error codes, so these schemas check structure only.
 */

const Context = z.record(z.string(), z.unknown()).openapi({ description: 'Condition parameters (a JSON object).' });

/**
 * Protobuf JSON (what OpenFGA parses) treats `null` as an absent field: so do we. Drops null
 * fields, except inside `context` (a JSON object whose values may be null).
 */
export function dropNullFields<T>(value: T): T {
  if (Array.isArray(value)) return value.map(dropNullFields) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null) continue;
    out[k] = k === 'context' ? v : dropNullFields(v);
  }
  return out as T;
}

/**
 * int32 fields arrive as JSON numbers or, from some clients, as numeric strings. A value no int32
 * holds is a `validation_error` (OpenFGA's JSON decoding refuses it before any range check).
 */
const INT32_RANGE = (n: number) => n >= -2147483648 && n <= 2147483647;
export const Int32 = z.union([z.number().int().refine(INT32_RANGE), z.string().regex(/^-?\d{1,10}$/).transform(Number).refine(INT32_RANGE)]);

export const Consistency = z
  .string()
  .nullish()
  .openapi({ description: '`MINIMIZE_LATENCY` (default) or `HIGHER_CONSISTENCY`.', example: 'HIGHER_CONSISTENCY' });

export const RelationshipCondition = z.object({ name: z.string(), context: Context.nullish() }).openapi('RelationshipCondition');

export const TupleKey = z
  .object({ user: z.string(), relation: z.string(), object: z.string(), condition: RelationshipCondition.nullish() })
  .openapi('TupleKey');

export const TupleKeyWithoutCondition = z
  .object({ user: z.string(), relation: z.string(), object: z.string() })
  .openapi('TupleKeyWithoutCondition');

// `{}` (or `tuple_keys: null`, dropped before validation) is no contextual tuples, as in OpenFGA.
export const ContextualTupleKeys = z.object({ tuple_keys: z.array(TupleKey).default([]) }).openapi('ContextualTupleKeys');

const ModelId = z.string().nullish();

export const StoreSchema = z
  .object({ id: z.string(), name: z.string(), created_at: z.string(), updated_at: z.string(), deleted_at: z.string().nullable().optional() })
  .openapi('Store');

export const CreateStoreBody = z.object({ name: z.string() }).openapi('CreateStoreRequest');

export const ListStoresQuery = z.object({
  page_size: Int32.optional(),
  continuation_token: z.string().optional(),
  name: z.string().optional(),
});

export const PageQuery = z.object({ page_size: Int32.optional(), continuation_token: z.string().optional() });

export const ChangesQuery = PageQuery.extend({ type: z.string().optional(), start_time: z.string().optional() });

export const WriteModelBody = z
  .object({
    type_definitions: z.array(z.looseObject({ type: z.string() })),
    schema_version: z.string(),
    conditions: z.record(z.string(), z.looseObject({})).nullish(),
  })
  .openapi('WriteAuthorizationModelRequest');

export const WriteBody = z
  .object({
    writes: z.object({ tuple_keys: z.array(TupleKey), on_duplicate: z.enum(['error', 'ignore']).nullish() }).nullish(),
    // A delete's relation may be absent (OpenFGA then finds no such tuple).
    deletes: z.object({ tuple_keys: z.array(TupleKeyWithoutCondition.extend({ relation: z.string().default('') })), on_missing: z.enum(['error', 'ignore']).nullish() }).nullish(),
    authorization_model_id: ModelId,
  })
  .openapi('WriteRequest');

export const ReadBody = z
  .object({
    tuple_key: z.object({ user: z.string().nullish(), relation: z.string().nullish(), object: z.string().nullish() }).nullish(),
    page_size: Int32.nullish(),
    continuation_token: z.string().nullish(),
    consistency: Consistency,
  })
  .openapi('ReadRequest');

export const CheckBody = z
  .object({
    tuple_key: TupleKeyWithoutCondition,
    contextual_tuples: ContextualTupleKeys.nullish(),
    authorization_model_id: ModelId,
    trace: z.boolean().nullish(),
    context: Context.nullish(),
    consistency: Consistency,
  })
  .openapi('CheckRequest');

export const BatchCheckBody = z
  .object({
    checks: z.array(
      z.object({
        tuple_key: TupleKeyWithoutCondition,
        contextual_tuples: ContextualTupleKeys.nullish(),
        context: Context.nullish(),
        correlation_id: z.string(),
      }),
    ),
    authorization_model_id: ModelId,
    consistency: Consistency,
  })
  .openapi('BatchCheckRequest');

export const ExpandBody = z
  .object({
    tuple_key: z.object({ relation: z.string(), object: z.string() }),
    authorization_model_id: ModelId,
    consistency: Consistency,
    contextual_tuples: ContextualTupleKeys.nullish(),
  })
  .openapi('ExpandRequest');

export const ListObjectsBody = z
  .object({
    authorization_model_id: ModelId,
    type: z.string(),
    relation: z.string(),
    user: z.string(),
    contextual_tuples: ContextualTupleKeys.nullish(),
    context: Context.nullish(),
    consistency: Consistency,
  })
  .openapi('ListObjectsRequest');

export const ListUsersBody = z
  .object({
    authorization_model_id: ModelId,
    object: z.object({ type: z.string(), id: z.string() }),
    relation: z.string(),
    user_filters: z.array(z.object({ type: z.string(), relation: z.string().nullish() })),
    contextual_tuples: z.array(TupleKey).nullish(),
    context: Context.nullish(),
    consistency: Consistency,
  })
  .openapi('ListUsersRequest');

export const AssertionsBody = z
  .object({
    assertions: z.array(
      z.object({
        tuple_key: TupleKeyWithoutCondition,
        expectation: z.boolean(),
        contextual_tuples: z.array(TupleKey).nullish(),
        context: Context.nullish(),
      }),
    ).nullish(),
  })
  .openapi('WriteAssertionsRequest');

const Truncated = z.boolean().optional().openapi({
  description: 'Present and true when the backend could not return every result (see `X-Portcullis-Truncated`).',
});

export const CheckResponse = z.object({ allowed: z.boolean().optional(), resolution: z.string().optional() }).openapi('CheckResponse');
export const ListObjectsResponse = z.object({ objects: z.array(z.string()), truncated: Truncated }).openapi('ListObjectsResponse');
export const ListUsersResponse = z.object({ users: z.array(z.looseObject({})), truncated: Truncated }).openapi('ListUsersResponse');
export const OpaqueResponse = (name: string) => z.looseObject({}).openapi(name);

export const FgaErrorSchema = z.object({ code: z.string(), message: z.string() }).openapi('OpenFgaError');
