import { afterAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { fillPath, methodOf, type RouteKey } from './inventory.ts';
import { OIDC_ENDPOINTS, PUBLIC_ROUTES } from './public-routes.ts';

/**
 * Public routes that no per-address budget covers, with the reason. Every other public route
 * takes no API key or SCIM token, so it must draw from a client address's budget
 * (src/oidc/sign-in-budget.ts): a public route added outside `/sso` and `/oidc` fails here until
 * it is budgeted or listed.
 */
const UNBUDGETED_PUBLIC_ROUTES: Partial<Record<RouteKey, string>> = {
  'GET /healthz': 'probe: constant answer, reads nothing',
  'GET /readyz': 'probe: one cheap database check',
  'GET /metrics': 'scraped by the operator',
  'GET /openapi.json': 'a document built once',
};
/** Provider endpoints (OIDC_ENDPOINTS) left out of the budgets: public keys every app and resource server fetches and caches. */
const UNBUDGETED_OIDC_ENDPOINTS = new Set(['jwks_uri']);
const APP_POSTS = new Set(['token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'pushed_authorization_request_endpoint']);

/**
 * The route guard's budget case: an address that has spent its budgets (one request each, with
 * budgets of 1 ms that do not refill) gets 429 from every budgeted public route, before the route
 * runs, and still gets the unbudgeted ones.
 */
describe('route guard: public routes draw from a client address budget', () => {
  const h = new Harness({ trustProxy: '1', signInBudgetMsPerSecond: 0.001, signInBudgetBurstMs: 1, oidcAppBudgetMsPerSecond: 0.001, oidcAppBudgetBurstMs: 1 });
  afterAll(() => h.close());
  const spent = { 'x-forwarded-for': '203.0.113.99' };
  const call = (method: string, path: string, headers: Record<string, string> = spent) => h.request(method, path, { key: null, headers });

  it('refuses an address out of budget on every public route but the listed ones', async () => {
    await call('GET', '/oidc/auth');
    await call('POST', '/oidc/token');
    const ids = { connection: 'conn_none', uid: 'uid_none' };
    const answers: Record<string, number> = {};
    for (const route of Object.keys(PUBLIC_ROUTES)) {
      if (route === 'ALL /oidc/*') continue;
      answers[route] = (await call(methodOf(route), fillPath(route, ids))).status;
    }
    for (const [name, e] of Object.entries(OIDC_ENDPOINTS)) answers[`${name} ${e.path}`] = (await call(APP_POSTS.has(name) ? 'POST' : 'GET', e.path)).status;
    answers['discovery'] = (await call('GET', '/oidc/.well-known/openid-configuration')).status;

    const unbudgeted = (k: string) => k in UNBUDGETED_PUBLIC_ROUTES || k === 'discovery' || UNBUDGETED_OIDC_ENDPOINTS.has(k.split(' ')[0] as string);
    const wrong = Object.entries(answers).filter(([k, status]) => unbudgeted(k) === (status === 429));
    expect(wrong.map(([k, status]) => `${k} answered ${status}`)).toEqual([]);
    expect(Object.values(answers).filter((status) => status === 429).length).toBeGreaterThan(10);
  });

  it('lists only unbudgeted routes that are served and public', () => {
    expect(Object.keys(UNBUDGETED_PUBLIC_ROUTES).filter((r) => !(r in PUBLIC_ROUTES))).toEqual([]);
    expect([...UNBUDGETED_OIDC_ENDPOINTS].filter((e) => !(e in OIDC_ENDPOINTS))).toEqual([]);
  });

  it('charges an app endpoint written in other letter cases (the provider matches paths case-insensitively) to the app budget, refused as OAuth JSON', async () => {
    const caps = { 'x-forwarded-for': '203.0.113.101' };
    await call('POST', '/oidc/token', caps);
    const refused = await call('POST', '/oidc/Token', caps);
    expect([refused.status, refused.headers.get('content-type')]).toEqual([429, 'application/json']);
    expect(await refused.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('keeps addresses apart: another address is not refused', async () => {
    expect((await call('GET', '/oidc/auth', { 'x-forwarded-for': '203.0.113.100' })).status).not.toBe(429);
  });
});
