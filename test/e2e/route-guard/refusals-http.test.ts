import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { overHttp } from './clients.ts';
import { FAMILIES } from './families.ts';
import { GUARD_CONFIG, routeGuardSuite } from './guard-suite.ts';
import { GUARDED_ROUTES } from './guarded-routes.ts';
import { methodOf, servedRoutes } from './inventory.ts';
import { callRoute, unchanged } from './route-cases.ts';

/**
 * The guard over a socket, where requests take paths `app.request()` never does: the Node-level
 * Check lane answers `POST /stores/{id}/check` before the application, bodies arrive with a
 * declared Content-Length, and client-credentials access tokens (minted at /oidc/token) join the
 * credentials — another tenant's app, a deleted app, a forged signature. The authz API gets every
 * case here; the admin and SCIM routes, whose transport adds nothing else, the two sweeps below.
 */
const env = await SsoEnv.start({ config: GUARD_CONFIG });
afterAll(() => env.close());
const client = overHttp(env);
const app = createApp(env.services); // read for its routes only: the server built its own from the same services
const f = await routeGuardSuite('route guard (over HTTP): every /stores route refuses what it must and changes nothing', client, app, ['authz']);

describe('route guard (over HTTP): admin and SCIM routes', () => {
  const routes = servedRoutes(app).flatMap((r) => {
    const spec = GUARDED_ROUTES[r];
    return spec && spec.family !== 'authz' ? [[r, spec] as const] : [];
  });

  it('answer a client-credentials access token with 401, as any credential of another surface', async () => {
    const token = f.tokens?.owner;
    expect(token, 'the fixture minted access tokens over HTTP').toBeDefined();
    await unchanged(client, async () => {
      for (const [route, spec] of routes) {
        const r = await callRoute(client, f, route, spec, token as string);
        expect({ route, status: r.status, code: FAMILIES[spec.family].codeOf(r.body, r.status) }).toEqual({ route, ...FAMILIES[spec.family].unauthenticated });
      }
    });
  });

  it('answer a body over the limit with a declared Content-Length with 413, before reading it', async () => {
    await unchanged(client, async () => {
      for (const [route, spec] of routes.filter(([r]) => methodOf(r) !== 'GET')) {
        const family = FAMILIES[spec.family];
        const big = JSON.stringify({ pad: 'x'.repeat(family.bodyLimit(env.services.config)) });
        const r = await callRoute(client, f, route, spec, spec.platformOnly ? env.platformKey : family.owner(f), big);
        expect({ route, status: r.status, code: family.codeOf(r.body, r.status) }).toEqual({ route, ...family.tooLarge });
      }
    });
  });
});

describe('the Node check lane under the guard', () => {
  it('answered the rightful Check itself and handed every refused one to the application', async () => {
    const metrics = await (await fetch(`${env.base}/metrics`)).text();
    const count = (outcome: string) => Number(new RegExp(`check_lane[a-z_]*\\{outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(count('answered')).toBeGreaterThan(0);
    expect(count('handed_on')).toBeGreaterThan(0);
  });
});
