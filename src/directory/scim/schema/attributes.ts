/**
 * SCIM attribute definitions (RFC 7643 §7) describing exactly what Portcullis stores. The same
 * definitions drive /Schemas, request normalisation, PATCH paths, filters and projections, so
 * what is advertised and what is accepted cannot drift apart.
 */
export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';

export interface AttributeDef {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: AttributeDef[];
  /**
   * Portcullis-internal (not part of RFC 7643's schema, not shown in /Schemas): values are stored
   * in Unicode NFC and filter values compared with them are read in NFC, so a composed and a
   * decomposed spelling of the same name or address are one value.
   */
  unicodeNfc?: boolean;
}

type Options = Partial<Omit<AttributeDef, 'name' | 'type' | 'description' | 'subAttributes'>>;

const base = (name: string, type: AttributeType, description: string, o: Options): AttributeDef => ({
  name,
  type,
  multiValued: false,
  description,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...o,
});

export const str = (name: string, description: string, o: Options = {}) => base(name, 'string', description, o);
export const bool = (name: string, description: string, o: Options = {}) => base(name, 'boolean', description, o);
export const ref = (name: string, referenceTypes: string[], description: string, o: Options = {}) =>
  base(name, 'reference', description, { caseExact: true, referenceTypes, ...o });
export const complex = (name: string, description: string, subAttributes: AttributeDef[], o: Options = {}) => ({
  ...base(name, 'complex', description, o),
  subAttributes,
});

/** value / display / type / primary: the shape of emails and phone numbers. */
export function contactAttribute(name: string, description: string, types: string[], valueOptions: Options = {}): AttributeDef {
  return complex(
    name,
    description,
    [
      str('value', `The ${name} value.`, valueOptions),
      str('display', 'A human-readable name, primarily used for display purposes.'),
      str('type', `A label indicating the attribute's function, e.g. ${types.map((t) => `'${t}'`).join(', ')}.`, { canonicalValues: types }),
      bool('primary', "Whether this is the primary value. 'true' appears no more than once."),
    ],
    { multiValued: true },
  );
}

/** A string value as an attribute stores it (NFC where the attribute says so). */
export const storedText = (def: AttributeDef, value: string): string => (def.unicodeNfc ? value.normalize('NFC') : value);

export function subAttribute(attr: AttributeDef, name: string): AttributeDef | undefined {
  const lower = name.toLowerCase();
  return attr.subAttributes?.find((s) => s.name.toLowerCase() === lower);
}
