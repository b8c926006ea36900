import type { AuthorizationModel } from '@openfga/sdk';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An authorization model as OpenFGA's HTTP API prints it: protobuf JSON with every unpopulated
 * field emitted (`module: ""`, `condition: ""`, `object: ""`, `generic_types: []`, `metadata`
 * and `source_info: null`). SDKs map a missing field to null/None, not to the default: OpenFGA's
 * Python SDK gave `generic_types` None where OpenFGA gives an empty list. Portcullis stores the
 * sparse canonical form; this is only the rendering. Unknown fields pass through.
 */
export function modelOnTheWire(model: AuthorizationModel): Json {
  const m = model as unknown as Json;
  return {
    ...m,
    type_definitions: Array.isArray(m.type_definitions) ? m.type_definitions.map(typeDefinition) : [],
    conditions: isObject(m.conditions) ? mapValues(m.conditions, condition) : {},
  };
}

function typeDefinition(td: unknown): unknown {
  if (!isObject(td)) return td;
  const relations = isObject(td.relations) ? mapValues(td.relations, userset) : {};
  const meta = td.metadata;
  if (!isObject(meta)) return { ...td, relations, metadata: null };
  const relMeta = isObject(meta.relations) ? mapValues(meta.relations, relationMetadata) : {};
  return { ...td, relations, metadata: { ...meta, relations: relMeta, module: meta.module ?? '', source_info: meta.source_info ?? null } };
}

function relationMetadata(rm: unknown): unknown {
  if (!isObject(rm)) return rm;
  const refs = Array.isArray(rm.directly_related_user_types) ? rm.directly_related_user_types : [];
  return {
    ...rm,
    directly_related_user_types: refs.map((r) => (isObject(r) ? { ...r, condition: r.condition ?? '' } : r)),
    module: rm.module ?? '',
    source_info: rm.source_info ?? null,
  };
}

const objectRelation = (v: unknown) => (isObject(v) ? { object: '', ...v } : v);

function userset(u: unknown): unknown {
  if (!isObject(u)) return u;
  if (isObject(u.computedUserset)) return { ...u, computedUserset: objectRelation(u.computedUserset) };
  if (isObject(u.tupleToUserset)) {
    const ttu = u.tupleToUserset;
    return { ...u, tupleToUserset: { ...ttu, tupleset: objectRelation(ttu.tupleset), computedUserset: objectRelation(ttu.computedUserset) } };
  }
  for (const op of ['union', 'intersection'] as const) {
    const set = u[op];
    if (isObject(set)) return { ...u, [op]: { ...set, child: Array.isArray(set.child) ? set.child.map(userset) : [] } };
  }
  if (isObject(u.difference)) return { ...u, difference: { ...u.difference, base: userset(u.difference.base), subtract: userset(u.difference.subtract) } };
  return u;
}

function condition(c: unknown): unknown {
  if (!isObject(c)) return c;
  const parameters = isObject(c.parameters) ? mapValues(c.parameters, paramType) : {};
  return { ...c, parameters, metadata: c.metadata ?? null };
}

function paramType(p: unknown): unknown {
  if (!isObject(p)) return p;
  return { ...p, generic_types: Array.isArray(p.generic_types) ? p.generic_types.map(paramType) : [] };
}

function mapValues(o: Json, f: (v: unknown) => unknown): Json {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}
