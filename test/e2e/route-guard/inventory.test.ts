import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { Harness } from '../../helpers/harness.ts';
import { familyOf } from './families.ts';
import { GUARDED_ROUTES, unclassifiedMessage, unclassifiedRoutes } from './guarded-routes.ts';
import { documentedRoutes, servedRoutes } from './inventory.ts';
import { PUBLIC_ROUTES } from './public-routes.ts';

/**
 * The route guard's inventory: the routes the application serves, read from the app, must each
 * be classified — guarded (and then held to their family's security cases in refusals.test.ts)
 * or public with a reviewed reason. A route added without either fails here, by name.
 */
describe('route guard inventory', () => {
  const h = new Harness();
  afterAll(() => h.close());
  const served = servedRoutes(h.app);

  it('classifies every route the application serves as guarded or public', () => {
    const missing = unclassifiedRoutes(served, PUBLIC_ROUTES);
    expect(missing.map(unclassifiedMessage)).toEqual([]);
  });

  it('lists no route the application no longer serves', () => {
    const stale = [...Object.keys(GUARDED_ROUTES), ...Object.keys(PUBLIC_ROUTES)].filter((r) => !served.includes(r));
    expect(stale.map((r) => `${r} is classified but not served: remove it from the route guard`)).toEqual([]);
  });

  it('never classifies a route as both guarded and public, and gives every public route a reason', () => {
    expect(Object.keys(PUBLIC_ROUTES).filter((r) => r in GUARDED_ROUTES)).toEqual([]);
    expect(Object.entries(PUBLIC_ROUTES).filter(([, why]) => why.trim().length < 20).map(([r]) => r)).toEqual([]);
  });

  it('allows no public route under a credential-protected mount point, and files each guarded route under its own', () => {
    expect(Object.keys(PUBLIC_ROUTES).filter((r) => familyOf(r) !== undefined)).toEqual([]);
    const misfiled = Object.entries(GUARDED_ROUTES).filter(([r, spec]) => familyOf(r) !== spec.family);
    expect(misfiled.map(([r, spec]) => `${r} is filed as ${spec.family}, mounted as ${familyOf(r)}`)).toEqual([]);
  });

  it('documents every guarded route in /openapi.json, or says why it is not there', async () => {
    const doc = await h.json('GET', '/openapi.json', { key: null });
    const documented = documentedRoutes(doc.body);
    const problems = Object.entries(GUARDED_ROUTES).flatMap(([r, spec]) => {
      if (spec.undocumented && documented.has(r)) return [`${r} is documented now: drop its 'undocumented' reason`];
      if (!spec.undocumented && !documented.has(r)) return [`${r} is missing from /openapi.json`];
      if (documented.get(r)?.requestBody && !spec.body) return [`${r} documents a request body: give the guard a body that works`];
      return [];
    });
    expect(problems).toEqual([]);
    expect([...documented.keys()].filter((r) => !served.includes(r))).toEqual([]);
  });

  it('fails, naming it, for a route added without being classified', () => {
    const app = createApp(h.services);
    app.get('/admin/v1/tenants/:tenant/secrets', (c) => c.json({}));
    app.post('/stores/:store_id/shortcut', (c) => c.json({}));
    const added = unclassifiedRoutes(servedRoutes(app), PUBLIC_ROUTES);
    expect(added).toEqual(['GET /admin/v1/tenants/:tenant/secrets', 'POST /stores/:store_id/shortcut']);
    expect(unclassifiedMessage(added[0] as string)).toMatch(/^GET \/admin\/v1\/tenants\/:tenant\/secrets is served but the route guard does not know it/);
  });

  it('counts a handler written like middleware on a concrete path as a route', () => {
    const app = createApp(h.services);
    app.get('/admin/v1/tenants/:tenant/sneaky', async (c, _next) => c.json({}));
    expect(unclassifiedRoutes(servedRoutes(app), PUBLIC_ROUTES)).toEqual(['GET /admin/v1/tenants/:tenant/sneaky']);
  });
});
