import type { Filter } from 'scim2-parse-filter';
import type { Normalisations } from './dialects.ts';
import { invalidValue } from './errors.ts';
import { parseFilter } from './filter/parse.ts';
import { parseProjection, type Projection } from './projection.ts';
import type { ResourceSchema } from './schema/registry.ts';
import { LIST_RESPONSE } from './schema/urns.ts';
import { filterToSql } from './filter/to-sql.ts';
import { sortExpression } from './filter/sort.ts';
import type { ResourceQuery } from '../sql-fragment.ts';
import type { ScimRequest, ScimResult } from './request.ts';

export const DEFAULT_COUNT = 100;
/** The largest page served; larger `count` values are lowered to it (RFC 7644 §3.4.2.4). */
export const MAX_COUNT = 500;

export interface ListQuery {
  filter?: Filter;
  startIndex: number;
  count: number;
  sortBy?: string;
  descending: boolean;
  projection: Projection;
}

/** What a list request sends, by GET query string or POST /.search body. */
export interface RawListQuery {
  filter?: string;
  startIndex?: string | number;
  count?: string | number;
  sortBy?: string;
  sortOrder?: string;
  attributes?: string | string[];
  excludedAttributes?: string | string[];
}

export function parseListQuery(raw: RawListQuery, resource: ResourceSchema, n: Normalisations): ListQuery {
  const startIndex = integer(raw.startIndex, 'startIndex', 1);
  const count = integer(raw.count, 'count', DEFAULT_COUNT);
  const order = raw.sortOrder?.toLowerCase();
  if (order !== undefined && order !== 'ascending' && order !== 'descending') {
    throw invalidValue("'sortOrder' must be 'ascending' or 'descending'.");
  }
  return {
    filter: raw.filter === undefined || raw.filter.trim() === '' ? undefined : parseFilter(raw.filter, n),
    startIndex: Math.max(1, startIndex),
    count: Math.min(MAX_COUNT, Math.max(0, count)),
    sortBy: raw.sortBy?.trim() || undefined,
    descending: order === 'descending',
    projection: parseProjection(resource, raw.attributes, raw.excludedAttributes),
  };
}

function integer(v: string | number | undefined, name: string, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || Math.abs(n) > 2 ** 31) throw invalidValue(`'${name}' must be an integer.`);
  return n;
}

/** What a resource store offers to list queries (users and groups both do). */
export interface ListableStore<R> {
  count(q: Pick<ResourceQuery, 'directoryId' | 'where'>): number;
  list(q: ResourceQuery): R[];
}

/** Runs a list request (filter → SQL, sort, page) and renders it as a ListResponse. */
export function listResources<R>(
  req: ScimRequest,
  raw: RawListQuery,
  resource: ResourceSchema,
  store: ListableStore<R>,
  render: (page: R[], projection: Projection) => unknown[],
): ScimResult {
  const q = parseListQuery(raw, resource, req.normalisations);
  const where = q.filter ? filterToSql(q.filter, resource, req.ctx.tenantId) : undefined;
  const orderBy = q.sortBy ? { sql: sortExpression(q.sortBy, resource), descending: q.descending } : undefined;
  const offset = q.startIndex - 1;
  const page = q.count === 0 ? [] : store.list({ directoryId: req.ctx.directoryId, where, orderBy, offset, limit: q.count });
  // A page that ends short is the last one: it gives the total without counting again.
  const lastPage = page.length < q.count && (page.length > 0 || offset === 0);
  const total = lastPage ? offset + page.length : store.count({ directoryId: req.ctx.directoryId, where });
  return {
    status: 200,
    body: { schemas: [LIST_RESPONSE], totalResults: total, startIndex: q.startIndex, itemsPerPage: page.length, Resources: render(page, q.projection) },
  };
}
