import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { buildFixture, missingId, ownedIds, snapshotDatabase, type Fixture, type GuardClient } from './fixture.ts';
import { FAMILIES, type GuardedRoute } from './families.ts';
import { GUARDED_ROUTES, unclassifiedMessage } from './guarded-routes.ts';
import { documentedRoutes, fillPath, methodOf, servedRoutes, type RouteKey } from './inventory.ts';
import { PUBLIC_ROUTES } from './public-routes.ts';

/** Settings every guard run uses: a small body limit keeps oversized bodies cheap; refused requests draw from one per-IP bucket, so it is large. */
export const GUARD_CONFIG = { bodyLimitBytes: 16 * 1024, rateLimitBurst: 1_000_000 };

/**
 * The route guard: for every route the application serves (read from the app, not from a list),
 * either a reviewed reason it is public, or the shared security cases of its credential family:
 * no credential and every kind of invalid one → 401 (also with a malformed body: authentication
 * comes first), another tenant's credential → 404, the tenant's own credential without the
 * scope → 403, malformed JSON → 400, a body over the limit → 413, each with the surface's stable
 * code and no change to any table; then the rightful credential reaches the route with the same
 * ids (so the refusals are about the credential, not about ids that do not exist).
 */
export async function routeGuardSuite(title: string, h: GuardClient, app: OpenAPIHono): Promise<void> {
  const served = servedRoutes(app);
  const documented = documentedRoutes(app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 'guard', version: '0' } }) as never);
  const guarded = served.filter((r) => !(r in PUBLIC_ROUTES));

  // Built while the tests are collected, so each case is generated only where it applies.
  const f: Fixture = await buildFixture(h);
  describe(title, () => {

    const pathOf = (route: RouteKey, spec: GuardedRoute) => fillPath(route, { ...f.params, ...spec.params?.(f) });
    const call = (route: RouteKey, spec: GuardedRoute, key: string | null, raw?: string, headers?: Record<string, string>) =>
      h.json(methodOf(route), pathOf(route, spec), { key, headers, ...(raw !== undefined ? { rawBody: raw } : spec.body ? { body: spec.body(f) } : {}) });
    const unchanged = async (run: () => Promise<void>) => {
      const before = snapshotDatabase(h.services);
      await run();
      expect(snapshotDatabase(h.services), 'a refused request changed stored data').toEqual(before);
    };

    for (const route of guarded) {
      const spec = GUARDED_ROUTES[route];
      if (!spec) {
        it(`${route} is classified`, () => expect.fail(unclassifiedMessage(route)));
        continue;
      }
      const family = FAMILIES[spec.family];
      const outcome = (r: { status: number; body: unknown }) => ({ status: r.status, code: r.status < 300 ? null : family.codeOf(r.body, r.status) });

      describe(`${route} (${spec.family})`, () => {
        it(`answers 401 ${family.unauthenticated.code ?? ''} without a credential and to every invalid one, changing nothing`, async () => {
          await unchanged(async () => {
            for (const [name, key] of [['no credential', null], ...Object.entries(family.invalidCredentials(f))] as [string, string | null][]) {
              const r = await call(route, spec, key);
              expect({ credential: name, ...outcome(r) }).toEqual({ credential: name, ...family.unauthenticated });
              expect(r.res.headers.get('www-authenticate'), name).toMatch(/^Bearer realm="portcullis-/);
            }
            if (methodOf(route) !== 'GET') {
              // Authentication comes before the body is read: a malformed body without a credential is still a 401.
              expect({ credential: 'none, malformed body', ...outcome(await call(route, spec, null, '{"x": ')) }).toEqual({ credential: 'none, malformed body', ...family.unauthenticated });
            }
          });
        });

        const foreign = spec.foreign ?? family.foreign;
        it(`answers another tenant's valid credential with ${foreign.status} ${foreign.code ?? ''}, changing nothing`, async () => {
          await unchanged(async () => {
            for (const [name, key] of Object.entries(family.foreignCredentials(f))) {
              const r = await call(route, spec, key);
              expect({ credential: name, ...outcome(r) }).toEqual({ credential: name, status: foreign.status, code: foreign.code });
              for (const hidden of spec.foreign?.hides?.(f) ?? []) expect(JSON.stringify(r.body), name).not.toContain(hidden);
            }
          });
        });

        // Another tenant naming its own tenant, with this tenant's ids in the path (or, outside the
        // authz API whose object ids are free text, in the body): exactly as if the ids did not exist.
        const params = { ...f.params, ...spec.params?.(f) };
        const body = spec.body?.(f);
        const crossings = Object.entries(family.ownPaths(f)).flatMap(([name, own]) => {
          const named = (route.match(/:[a-z_]+/gi) ?? []).map((p) => p.slice(1)).filter((p) => !(p in own.params));
          const ids = ownedIds(f).filter((id) => named.some((p) => params[p] === id) || (spec.family !== 'authz' && JSON.stringify(body ?? null).includes(id)));
          return ids.length > 0 ? [{ name, own, ids }] : [];
        });
        if (crossings.length > 0) {
          it("answers another tenant naming its own tenant but this tenant's ids exactly as if they did not exist, changing nothing", async () => {
            for (const { name, own, ids } of crossings) {
              const swap = (text: string, to: (id: string) => string) => ids.reduce((t, id) => t.split(id).join(to(id)), text);
              const send = (to: (id: string) => string) =>
                h.json(methodOf(route), swap(fillPath(route, { ...params, ...own.params }), to), { key: own.key, ...(body !== undefined ? { rawBody: swap(JSON.stringify(body), to) } : {}) });
              const said = (r: { body: any }) => [...ids, ...ids.map(missingId)].reduce((t, id) => t.split(id).join('<id>'), String(r.body?.message ?? r.body?.detail));
              await unchanged(async () => {
                const theirs = await send((id) => id);
                const missing = await send(missingId);
                expect(theirs.status, name).toBeGreaterThanOrEqual(400);
                expect({ credential: name, ...outcome(theirs), said: said(theirs) }).toEqual({ credential: name, ...outcome(missing), said: said(missing) });
              });
            }
          });
        }

        const scope = spec.scope ?? family.insufficientScope;
        if (family.insufficientScope && scope) {
          it(`answers the tenant's own credential without the scope${spec.scope?.credential ? ' (any scope: platform only)' : ''} with ${scope.status} ${scope.code ?? ''}, changing nothing`, async () => {
            await unchanged(async () => {
              const r = await call(route, spec, (spec.scope?.credential ?? family.insufficientScope?.credential)?.(f) as string);
              expect(outcome(r)).toEqual({ status: scope.status, code: scope.code });
            });
          });
        }

        const rightful = () => (spec.platformOnly ? h.platformKey : family.owner(f));
        if (documented.get(route)?.requestBody) {
          it(`answers malformed JSON with ${family.malformedJson.status} ${family.malformedJson.code}, changing nothing`, async () => {
            expect(spec.body, `${route} documents a request body: give it a body that works`).toBeDefined();
            await unchanged(async () => {
              for (const raw of ['{"name": ', '{"a":1}}', 'not json']) {
                expect({ body: raw, ...outcome(await call(route, spec, rightful(), raw)) }).toEqual({ body: raw, ...family.malformedJson });
              }
            });
          });
        }
        if (documented.get(route)?.requestBody) {
          it(`answers a body that is not JSON with ${family.wrongMediaType.status} ${family.wrongMediaType.code ?? ''}, changing nothing`, async () => {
            await unchanged(async () => {
              for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
                const r = await call(route, spec, rightful(), JSON.stringify(spec.body?.(f)), { 'content-type': type });
                expect({ type, ...outcome(r) }).toEqual({ type, ...family.wrongMediaType });
              }
            });
          });
        }
        if (methodOf(route) !== 'GET') {
          it(`answers a body over the limit with ${family.tooLarge.status} ${family.tooLarge.code ?? ''}, changing nothing`, async () => {
            const big = JSON.stringify({ pad: 'x'.repeat(family.bodyLimit(h.services.config)) });
            await unchanged(async () => {
              expect(outcome(await call(route, spec, rightful(), big))).toEqual(family.tooLarge);
            });
          });
        }
      });
    }

    // While tenant A is suspended, its own credentials reach nothing (platform-only routes use the platform key).
    describe("while the tenant is suspended, its own credentials are refused on every route, changing nothing", () => {
      beforeAll(async () => {
        expect((await h.json('POST', `/admin/v1/tenants/${f.a.id}/suspend`)).status).toBe(200);
      });
      afterAll(async () => {
        expect((await h.json('POST', `/admin/v1/tenants/${f.a.id}/resume`)).status).toBe(200);
      });
      for (const route of guarded) {
        const spec = GUARDED_ROUTES[route];
        if (!spec || spec.platformOnly) continue;
        const family = FAMILIES[spec.family];
        it(`${route} → ${family.suspended.status} ${family.suspended.code ?? ''}`, async () => {
          await unchanged(async () => {
            for (const [name, key] of Object.entries(family.ownerCredentials(f))) {
              const r = await call(route, spec, key);
              expect({ credential: name, status: r.status, code: family.codeOf(r.body, r.status) }).toEqual({ credential: name, ...family.suspended });
            }
          });
        });
      }
    });

    // Last: these succeed, deleting spares and the spare tenants (DELETE routes after the others).
    describe("the rightful credential reaches every guarded route with the fixture's ids", () => {
      const order = guarded.filter((r) => r in GUARDED_ROUTES).sort((x, y) => Number(methodOf(x) === 'DELETE') - Number(methodOf(y) === 'DELETE'));
      for (const route of order) {
        const spec = GUARDED_ROUTES[route] as GuardedRoute;
        it(`${route} → ${spec.ok}${spec.platformOnly ? ' (platform key)' : ''}`, async () => {
          await spec.prepare?.(h, f);
          const key = spec.platformOnly ? h.platformKey : FAMILIES[spec.family].owner(f);
          const r = await h.json(methodOf(route), pathOf(route, spec), { key, ...(spec.body ? { body: spec.body(f) } : {}) });
          expect(r.status, JSON.stringify(r.body)).toBe(spec.ok);
          if (spec.okCode) expect(r.body.code).toBe(spec.okCode);
        });
      }
    });
  });
}
