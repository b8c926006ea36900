/**
 * The string forms OpenFGA uses for objects (`document:1`), users (`user:anne`, `user:*`,
 * `group:eng#member`) and tuple keys, parsed and validated the way OpenFGA's `pkg/tuple` does.
 */

/** A user split into parts: `group:eng#member` → type `group`, id `eng`, relation `member`. */
export interface UserParts {
  type: string;
  id: string;
  /** '' for plain objects and typed wildcards. */
  relation: string;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function splitObject(object: string): [type: string, id: string] {
  const i = object.indexOf(':');
  return i === -1 ? ['', object] : [object.slice(0, i), object.slice(i + 1)];
}

export function splitObjectRelation(value: string): [object: string, relation: string] {
  const i = value.lastIndexOf('#');
  return i === -1 ? [value, ''] : [value.slice(0, i), value.slice(i + 1)];
}

export function parseUser(user: string): UserParts {
  const [object, relation] = splitObjectRelation(user);
  const [type, id] = splitObject(object);
  return { type, id, relation };
}

export function formatUser(type: string, id: string, relation: string): string {
  return relation === '' ? `${type}:${id}` : `${type}:${id}#${relation}`;
}

/** `type:id` with exactly one ':', a non-empty type and id, no '#', spaces or control characters. */
export function isValidObject(s: string): boolean {
  if (CONTROL.test(s) || s.includes('#') || s.includes(' ')) return false;
  const i = s.indexOf(':');
  return i > 0 && s.indexOf(':', i + 1) === -1 && i < s.length - 1;
}

/** A relation name: non-empty, no ':', '#', '@', spaces or control characters. */
export function isValidRelation(s: string): boolean {
  return s.length > 0 && !/[:#@ ]/.test(s) && !CONTROL.test(s);
}

/** `type:id#relation` (the id may not be '*'). */
export function isUserset(s: string): boolean {
  if (CONTROL.test(s) || s.includes(' ')) return false;
  const colon = s.indexOf(':');
  const hash = s.indexOf('#');
  if (colon <= 0 || hash === -1 || hash < colon) return false;
  if (s.indexOf(':', colon + 1) !== -1 || s.indexOf('#', hash + 1) !== -1) return false;
  const id = s.slice(colon + 1, hash);
  return id.length > 0 && !id.includes('*') && hash < s.length - 1;
}

export function isTypedWildcard(s: string): boolean {
  const [type, id] = splitObject(s);
  return type !== '' && id === '*';
}

/** What OpenFGA accepts in a tuple's `user` field before looking at the model. */
export function isValidUserString(s: string): boolean {
  if (s === '*') return true;
  if (s.length > 0 && !/[#: ]/.test(s) && !CONTROL.test(s)) return true;
  return isValidObject(s) || isUserset(s);
}

export function containsForbiddenChars(s: string): boolean {
  return CONTROL.test(s);
}

/** A pattern as `test` reads it and as messages print it (`source`). */
export interface FieldPattern {
  readonly source: string;
  test(value: string): boolean;
}

/**
 * A protoc-gen-validate `pattern` rule as OpenFGA's Go code runs it (RE2): repetition counts
 * code points, not UTF-16 units, and `\s` is ASCII whitespace only (`[\t\n\f\r ]`), where
 * JavaScript's also takes U+00A0, U+2028 and the like. `source` stays OpenFGA's text, for messages.
 */
export function re2Pattern(source: string): FieldPattern {
  const re = new RegExp(source.replaceAll('\\s', '\\t\\n\\f\\r '), 'u');
  return { source, test: (value) => re.test(value) };
}

/** OpenFGA's display form of a tuple key: `document:1#viewer@user:anne`. */
export function tupleKeyToString(t: { object: string; relation: string; user: string }): string {
  return `${t.object}#${t.relation}@${t.user}`;
}
