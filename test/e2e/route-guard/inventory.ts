import type { Hono } from 'hono';
import { inspectRoutes } from 'hono/dev';

/** `"METHOD /path/:param"`, as Hono registers a route (`ALL` for `app.all`). */
export type RouteKey = string;

/**
 * Every route the application answers with a handler of its own, read from the app itself
 * (`app.routes`, which holds everything mounted with `app.route()`, `app.openapi()`, `app.on()`).
 * Middleware mounted on a wildcard (`app.use('/x/*', …)`) is not a route. An entry that looks
 * like middleware (a handler taking `next`) on a concrete path counts as a route too: otherwise
 * a handler written `(c, next) => …` would slip through unclassified.
 */
export function servedRoutes(app: Hono<any, any, any>): RouteKey[] {
  const byKey = new Map<RouteKey, { path: string; handlers: number }>();
  for (const r of inspectRoutes(app)) {
    const key = `${r.method} ${r.path}`;
    const entry = byKey.get(key) ?? { path: r.path, handlers: 0 };
    if (!r.isMiddleware) entry.handlers += 1;
    byKey.set(key, entry);
  }
  return [...byKey]
    .filter(([, e]) => e.handlers > 0 || !e.path.endsWith('*'))
    .map(([key]) => key)
    .sort();
}

/** The operations `/openapi.json` documents, as route keys (`{param}` → `:param`). */
export function documentedRoutes(doc: { paths: Record<string, Record<string, unknown>> }): Map<RouteKey, { requestBody?: unknown }> {
  const out = new Map<RouteKey, { requestBody?: unknown }>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      out.set(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`, op as { requestBody?: unknown });
    }
  }
  return out;
}

/** Fills `:param`s from `values`; throws naming the route when one has no value. */
export function fillPath(route: RouteKey, values: Record<string, string>): string {
  const path = route.slice(route.indexOf(' ') + 1);
  return path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`${route}: the route guard fixture has no value for :${name}`);
    return encodeURIComponent(v);
  });
}

export const methodOf = (route: RouteKey): string => route.slice(0, route.indexOf(' '));
