import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { buildFixture, type Fixture, type GuardClient } from './fixture.ts';
import { FAMILIES, type Family, type GuardedRoute } from './families.ts';
import { GUARDED_ROUTES, unclassifiedMessage } from './guarded-routes.ts';
import { documentedRoutes, methodOf, servedRoutes } from './inventory.ts';
import { PUBLIC_ROUTES } from './public-routes.ts';
import { callRoute, routeCases, unchanged } from './route-cases.ts';

/** Settings every guard run uses: a small body limit keeps oversized bodies cheap; refused requests draw from one per-IP bucket, so it is large. */
export const GUARD_CONFIG = { bodyLimitBytes: 16 * 1024, rateLimitBurst: 1_000_000 };

/**
 * The route guard: for every route the application serves (read from the app, not from a list),
 * either a reviewed reason it is public, or the shared security cases of its credential family
 * (route-cases.ts), each with the surface's stable code and no change to any table; then, with
 * the tenant suspended, its own credentials are refused everywhere; last, the rightful
 * credential reaches every route with the same ids (so the refusals were about the credential,
 * not about ids that do not exist). `only` limits the cases to some families. Returns the
 * fixture, for more cases over the same state.
 */
export async function routeGuardSuite(title: string, h: GuardClient, app: OpenAPIHono, only?: readonly Family[]): Promise<Fixture> {
  const documented = documentedRoutes(app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'guard', version: '0' } }) as never);
  const guarded = servedRoutes(app).filter((r) => !(r in PUBLIC_ROUTES));
  const known = guarded.flatMap((r) => (GUARDED_ROUTES[r] && (!only || only.includes(GUARDED_ROUTES[r].family)) ? [[r, GUARDED_ROUTES[r]] as const] : []));
  // Built while the tests are collected, so each case is generated only where it applies.
  const f: Fixture = await buildFixture(h);

  describe(title, () => {
    for (const route of guarded.filter((r) => !GUARDED_ROUTES[r])) it(`${route} is classified`, () => expect.fail(unclassifiedMessage(route)));

    for (const [route, spec] of known) {
      describe(`${route} (${spec.family})`, () => routeCases({ h, f, takesBody: Boolean(documented.get(route)?.requestBody) }, route, spec));
    }

    describe("while the tenant is suspended, its own credentials are refused on every route, changing nothing", () => {
      beforeAll(async () => {
        expect((await h.json('POST', `/admin/v1/tenants/${f.a.id}/suspend`)).status).toBe(200);
      });
      afterAll(async () => {
        expect((await h.json('POST', `/admin/v1/tenants/${f.a.id}/resume`)).status).toBe(200);
      });
      // Platform-only routes are called with the platform key, which no suspension stops.
      for (const [route, spec] of known.filter(([, s]) => !s.platformOnly)) {
        const family = FAMILIES[spec.family];
        it(`${route} → ${family.suspended.status} ${family.suspended.code ?? ''}`, async () => {
          await unchanged(h, async () => {
            for (const [name, key] of Object.entries(family.ownerCredentials(f))) {
              const r = await callRoute(h, f, route, spec, key);
              expect({ credential: name, status: r.status, code: family.codeOf(r.body, r.status) }).toEqual({ credential: name, ...family.suspended });
            }
          });
        });
      }
    });

    // Last: these succeed, deleting spares and the spare tenants (DELETE routes after the others).
    describe("the rightful credential reaches every guarded route with the fixture's ids", () => {
      const deletesLast = [...known].sort(([x], [y]) => Number(methodOf(x) === 'DELETE') - Number(methodOf(y) === 'DELETE'));
      for (const [route, spec] of deletesLast as [string, GuardedRoute][]) {
        it(`${route} → ${spec.ok}${spec.platformOnly ? ' (platform key)' : ''}`, async () => {
          await spec.prepare?.(h, f);
          const r = await callRoute(h, f, route, spec, spec.platformOnly ? h.platformKey : FAMILIES[spec.family].owner(f));
          expect(r.status, JSON.stringify(r.body)).toBe(spec.ok);
          if (spec.okCode) expect(r.body.code).toBe(spec.okCode);
        });
      }
    });
  });
  return f;
}
