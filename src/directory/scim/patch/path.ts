import { parse, type Filter } from 'scim2-parse-filter';
import { resolveAttribute, splitSchemaPrefix, type ResolvedAttribute, type ResourceSchema, type SchemaDef } from '../schema/registry.ts';
import { subAttribute } from '../schema/attributes.ts';
import type { Normalisations } from '../dialects.ts';
import { invalidPath } from '../errors.ts';

/** A parsed PATCH `path` (RFC 7644 §3.5.2): an attribute, optionally value-filtered, optionally a sub-attribute. */
export type PatchPath =
  | { kind: 'extension'; schema: SchemaDef }
  | { kind: 'attribute'; target: ResolvedAttribute; filter?: Filter; text: string };

export function parsePatchPath(raw: string, resource: ResourceSchema, n: Normalisations): PatchPath {
  const text = raw.trim();
  if (text === '' || text.length > 1000) throw invalidPath('The PATCH path is empty or too long.');
  const open = text.indexOf('[');
  if (open < 0) {
    const { schema, rest } = splitSchemaPrefix(resource, text);
    if (schema && rest === '' && schema !== resource.core) return { kind: 'extension', schema };
    return { kind: 'attribute', target: resolve(resource, text, n), text };
  }
  const close = closingBracket(text, open);
  const attrText = text.slice(0, open);
  const after = text.slice(close + 1);
  if (after !== '' && !/^\.[A-Za-z$][\w$-]*$/.test(after)) throw invalidPath(`'${text}' is not a valid path.`);
  const target = resolve(resource, attrText, n);
  if (target.sub || !target.attr.subAttributes) {
    throw invalidPath(`'${attrText}' is not a multi-valued complex attribute; it cannot take a value filter.`);
  }
  if (!target.attr.multiValued) n.note('single_value_filtered', `value filter on the single-valued '${target.attr.name}' in '${text}'`);
  let filter: Filter;
  try {
    filter = parse(text.slice(open + 1, close));
  } catch (err) {
    throw invalidPath(`The value filter in '${text}' is not valid: ${(err as Error).message}`);
  }
  if (after !== '') {
    const sub = subAttribute(target.attr, after.slice(1));
    if (!sub) throw invalidPath(`'${after.slice(1)}' is not a sub-attribute of '${target.attr.name}'.`);
    return { kind: 'attribute', target: { ...target, sub }, filter, text };
  }
  return { kind: 'attribute', target, filter, text };
}

function resolve(resource: ResourceSchema, path: string, n: Normalisations): ResolvedAttribute {
  const target = resolveAttribute(resource, path);
  if (!target) throw invalidPath(`'${path}' is not an attribute of ${resource.name}.`);
  if (target.unqualified) n.note('extension_unqualified', `path '${path}' read as ${target.schema.id}:${target.attr.name}`);
  return target;
}

function closingBracket(text: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ']') return i;
  }
  throw invalidPath(`'${text}' has an unclosed '['.`);
}
