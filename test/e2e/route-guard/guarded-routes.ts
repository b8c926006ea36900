import type { RouteKey } from './inventory.ts';
import type { GuardedRoute } from './families.ts';
import { ADMIN_GUARDED } from './admin-routes.ts';
import { AUTHZ_GUARDED } from './authz-routes.ts';
import { SCIM_GUARDED } from './scim-routes.ts';

/**
 * Every credential-protected route, keyed exactly as Hono serves it. A route the app serves
 * that is neither here nor in PUBLIC_ROUTES fails the guard, and so does an entry here that
 * the app no longer serves.
 */
export const GUARDED_ROUTES: Record<RouteKey, GuardedRoute> = { ...ADMIN_GUARDED, ...SCIM_GUARDED, ...AUTHZ_GUARDED };

/** What the guard tells whoever adds a route without classifying it. */
export function unclassifiedMessage(route: RouteKey): string {
  return `${route} is served but the route guard does not know it: add it to GUARDED_ROUTES (test/e2e/route-guard/*-routes.ts) with a body and ids that work, or to PUBLIC_ROUTES with the reason it needs no credential`;
}

/** Served routes that are neither guarded nor public. */
export function unclassifiedRoutes(served: readonly RouteKey[], publicRoutes: Record<RouteKey, string>): RouteKey[] {
  return served.filter((r) => !(r in GUARDED_ROUTES) && !(r in publicRoutes));
}
