import { expect, it } from 'vitest';
import { missingId, ownedIds, type Fixture, type GuardClient } from './fixture.ts';
import { snapshotDatabase } from './snapshot.ts';
import { FAMILIES, type GuardedRoute } from './families.ts';
import { fillPath, methodOf, type RouteKey } from './inventory.ts';

/** What the cases of one route need from the suite. */
export interface GuardContext {
  h: GuardClient;
  f: Fixture;
  /** Whether /openapi.json documents a request body for the route. */
  takesBody: boolean;
}

/** Runs `run` and fails if any table changed meanwhile. */
export async function unchanged(h: GuardClient, run: () => Promise<void>): Promise<void> {
  const before = snapshotDatabase(h.services);
  await run();
  expect(snapshotDatabase(h.services), 'a refused request changed stored data').toEqual(before);
}

/** Calls `route` with the fixture's ids, its working body (or `raw`) and `key`. */
export function callRoute(h: GuardClient, f: Fixture, route: RouteKey, spec: GuardedRoute, key: string | null, raw?: string, headers?: Record<string, string>) {
  const path = fillPath(route, { ...f.params, ...spec.params?.(f) });
  return h.json(methodOf(route), path, { key, headers, ...(raw !== undefined ? { rawBody: raw } : spec.body ? { body: spec.body(f) } : {}) });
}

/**
 * The refusal cases of one guarded route, inside its `describe`, each generated only where it
 * applies: no credential and every kind of invalid one → 401 (also with a malformed body:
 * authentication comes first); another tenant's credential → its family's 404; another tenant
 * naming its own tenant with this tenant's ids → what ids that do not exist get; the tenant's
 * credential without the scope → 403; malformed JSON → 400; a body that is not JSON → 415; a
 * body over the limit → 413. Each with the family's stable code, and no table changed.
 */
export function routeCases({ h, f, takesBody }: GuardContext, route: RouteKey, spec: GuardedRoute): void {
  const family = FAMILIES[spec.family];
  const outcome = (r: { status: number; body: unknown }) => ({ status: r.status, code: r.status < 300 ? null : family.codeOf(r.body, r.status) });
  const call = (key: string | null, raw?: string, headers?: Record<string, string>) => callRoute(h, f, route, spec, key, raw, headers);
  const unchangedBy = (run: () => Promise<void>) => unchanged(h, run);

  it(`answers 401 ${family.unauthenticated.code ?? ''} without a credential and to every invalid one, changing nothing`, async () => {
    await unchangedBy(async () => {
      for (const [name, key] of [['no credential', null], ...Object.entries(family.invalidCredentials(f))] as [string, string | null][]) {
        const r = await call(key);
        expect({ credential: name, ...outcome(r) }).toEqual({ credential: name, ...family.unauthenticated });
        expect(r.res.headers.get('www-authenticate'), name).toMatch(/^Bearer realm="portcullis-/);
      }
      if (methodOf(route) !== 'GET') {
        // Authentication comes before the body is read: a malformed body without a credential is still a 401.
        expect({ credential: 'none, malformed body', ...outcome(await call(null, '{"x": ')) }).toEqual({ credential: 'none, malformed body', ...family.unauthenticated });
      }
    });
  });

  const foreign = spec.foreign ?? family.foreign;
  it(`answers another tenant's valid credential with ${foreign.status} ${foreign.code ?? ''}, changing nothing`, async () => {
    await unchangedBy(async () => {
      for (const [name, key] of Object.entries(family.foreignCredentials(f))) {
        const r = await call(key);
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
        await unchangedBy(async () => {
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
      await unchangedBy(async () => {
        const r = await call((spec.scope?.credential ?? family.insufficientScope?.credential)?.(f) as string);
        expect(outcome(r)).toEqual({ status: scope.status, code: scope.code });
      });
    });
  }

  const rightful = () => (spec.platformOnly ? h.platformKey : family.owner(f));
  if (takesBody) {
    it(`answers malformed JSON with ${family.malformedJson.status} ${family.malformedJson.code}, changing nothing`, async () => {
      expect(spec.body, `${route} documents a request body: give it a body that works`).toBeDefined();
      await unchangedBy(async () => {
        for (const raw of ['{"name": ', '{"a":1}}', 'not json']) {
          expect({ body: raw, ...outcome(await call(rightful(), raw)) }).toEqual({ body: raw, ...family.malformedJson });
        }
      });
    });
    it(`answers a body that is not JSON with ${family.wrongMediaType.status} ${family.wrongMediaType.code ?? ''}, changing nothing`, async () => {
      await unchangedBy(async () => {
        for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
          const r = await call(rightful(), JSON.stringify(spec.body?.(f)), { 'content-type': type });
          expect({ type, ...outcome(r) }).toEqual({ type, ...family.wrongMediaType });
        }
      });
    });
  }
  if (methodOf(route) !== 'GET') {
    it(`answers a body over the limit with ${family.tooLarge.status} ${family.tooLarge.code ?? ''}, changing nothing`, async () => {
      const big = JSON.stringify({ pad: 'x'.repeat(family.bodyLimit(h.services.config)) });
      await unchangedBy(async () => {
        expect(outcome(await call(rightful(), big))).toEqual(family.tooLarge);
      });
    });
  }
}
