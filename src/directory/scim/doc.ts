/**
 * A SCIM resource as plain JSON with canonical attribute names: core attributes at the top,
 * extension attributes under their schema URN. Absent, null and "" all mean "unassigned".
 */
export type ScimValue = string | number | boolean | null | ScimObject | ScimValue[];
export interface ScimObject {
  [key: string]: ScimValue | undefined;
}

export const isObject = (v: unknown): v is ScimObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isUnassigned = (v: unknown): boolean =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.values(v).every(isUnassigned));

/** Deep copy of a document (documents are JSON). */
export const cloneDoc = <T extends ScimValue | ScimObject>(doc: T): T => structuredClone(doc);

/** Drops unassigned values at every depth, so equal resources compare equal. */
export function compact(doc: ScimObject): ScimObject {
  const out: ScimObject = {};
  for (const [k, v] of Object.entries(doc)) {
    const c = compactValue(v);
    if (!isUnassigned(c)) out[k] = c;
  }
  return out;
}

function compactValue(v: ScimValue | undefined): ScimValue | undefined {
  if (Array.isArray(v)) return v.map(compactValue).filter((x): x is ScimValue => !isUnassigned(x));
  if (isObject(v)) return compact(v);
  return v;
}
