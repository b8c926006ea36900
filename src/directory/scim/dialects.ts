/**
 * What IdPs actually send, next to what RFC 7644 says. Every deviation Portcullis accepts is
 * named by a rule and recorded per request, so an admin can see what was normalised and for
 * which client. The dialect of a record is the client's, when the request tells (User-Agent,
 * Entra's `aadOptscim062020` flag), else the dialect known to send that shape.
 */
export type Dialect = 'entra' | 'okta' | 'generic';

export const RULES = {
  op_case: { dialect: 'entra', summary: "PATCH 'op' in another letter case ('Replace' for 'replace')" },
  boolean_string: { dialect: 'entra', summary: "boolean sent as a string ('False' for false)" },
  filtered_path_created: { dialect: 'entra', summary: 'value-filtered path matched nothing: the value was created (RFC: noTarget)' },
  remove_with_value: { dialect: 'entra', summary: "'remove' of a multi-valued attribute with a 'value' listing what to remove" },
  value_key_path: { dialect: 'entra', summary: "path-less operation whose value keys are attribute paths ('name.givenName')" },
  extension_unqualified: { dialect: 'entra', summary: 'enterprise extension attribute named without its schema URN' },
  single_value_as_array: { dialect: 'entra', summary: 'single-valued attribute sent as a one-element array' },
  complex_as_string: { dialect: 'entra', summary: "complex attribute sent as its 'value' string (manager)" },
  single_value_filtered: { dialect: 'entra', summary: "value filter on a single-valued attribute ('remove' of manager[value eq \"…\"])" },
  unknown_schema_uri: { dialect: 'entra', summary: "unknown URI in 'schemas' ignored" },
  unquoted_filter_value: { dialect: 'entra', summary: 'filter comparison value without quotes' },
  password_discarded: { dialect: 'okta', summary: 'password not stored (Portcullis users sign in through SSO)' },
  readonly_value_ignored: { dialect: 'okta', summary: 'read-only attribute with its current value in a PATCH value (ignored)' },
  multi_value_as_object: { dialect: 'generic', summary: 'multi-valued attribute sent as a single value' },
  null_attribute_ignored: { dialect: 'entra', summary: 'unsupported attribute sent as null or empty (ignored)' },
  empty_string_unassigned: { dialect: 'entra', summary: 'empty string read as unassigned (RFC 7643 §2.5: unassigned and null are equivalent)' },
} as const satisfies Record<string, { dialect: Dialect; summary: string }>;

export type Rule = keyof typeof RULES;

export interface Deviation {
  dialect: Dialect;
  rule: Rule;
  detail: string;
}

/** Detects the client's dialect from the User-Agent and Entra's feature-flag query parameter. */
export function detectDialect(userAgent: string | undefined, query: URLSearchParams): Dialect | undefined {
  if ([...query.keys()].some((k) => k.toLowerCase() === 'aadoptscim062020')) return 'entra';
  if (!userAgent) return undefined;
  if (/okta/i.test(userAgent)) return 'okta';
  if (/azure|microsoft|entra|aad/i.test(userAgent)) return 'entra';
  return undefined;
}

/** Collects the deviations accepted while handling one request (or one bulk operation). */
export class Normalisations {
  readonly #entries: Deviation[] = [];
  constructor(private readonly clientDialect: Dialect | undefined) {}

  note(rule: Rule, detail: string): void {
    if (this.#entries.length >= 100) return;
    this.#entries.push({ dialect: this.clientDialect ?? RULES[rule].dialect, rule, detail: detail.slice(0, 500) });
  }

  get entries(): readonly Deviation[] {
    return this.#entries;
  }
}
