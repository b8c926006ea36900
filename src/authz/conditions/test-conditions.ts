import type { Condition, ConditionParamTypeRef, TypeName } from '@openfga/sdk';

/** `list<map<int>>` → OpenFGA's parameter type reference (test helper). */
export function paramType(type: string): ConditionParamTypeRef {
  const generic = /^(list|map)<(.+)>$/.exec(type);
  if (!generic) return { type_name: `TYPE_NAME_${type.toUpperCase()}` as TypeName };
  return {
    type_name: `TYPE_NAME_${(generic[1] as string).toUpperCase()}` as TypeName,
    generic_types: [paramType(generic[2] as string)],
  };
}

/** A model condition from an expression and `{ name: 'list<int>' }` parameters (test helper). */
export function condition(name: string, expression: string, params: Record<string, string>): Condition {
  return {
    name,
    expression,
    parameters: Object.fromEntries(Object.entries(params).map(([k, t]) => [k, paramType(t)])),
  };
}
