import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { ScriptedCosts, rateLimitedCount } from '../../helpers/request-costs.ts';
import { FakeClock } from '../../../src/lib/clock.ts';

type App = { client_id: string; client_secret: string; redirect: string };

/**
 * Which budget a request draws from, and whose: the realm by route, the address as the request
 * context resolves it (`PORTCULLIS_TRUST_PROXY`). Costs are scripted (ScriptedCosts), so nothing
 * here depends on how fast the machine is; the default budgets apply (sign-in 250 ms/s, 5 s at
 * once; app endpoints 500 ms/s, 10 s at once).
 */
describe('sign-in budget: realms and addresses', () => {
  const costs = new ScriptedCosts();
  let env: SsoEnv;
  let app: App;

  beforeAll(async () => {
    env = await SsoEnv.start({ clock: new FakeClock(new Date()), requestCostMeter: costs, config: { trustProxy: '1' } });
    const acme = await env.tenant('Acme', 'acme');
    app = await env.app(acme.id);
  });
  afterAll(() => env?.close());

  const from = (forwardedFor: string) => ({ 'x-forwarded-for': forwardedFor });
  const authorize = (headers: Record<string, string>) =>
    fetch(`${env.base}/oidc/auth?${new URLSearchParams({ client_id: app.client_id, response_type: 'code', scope: 'openid', redirect_uri: app.redirect, organization: 'acme' })}`, { headers, redirect: 'manual' });
  const form = (path: string, body: Record<string, string>, headers: Record<string, string>) =>
    fetch(`${env.base}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });
  const token = (headers: Record<string, string>) => form('/oidc/token', { grant_type: 'authorization_code', code: 'nope', redirect_uri: app.redirect, client_id: app.client_id, client_secret: app.client_secret }, headers);

  it("answers the app endpoints of an address out of their budget with OAuth's JSON error, and leaves it the sign-in pages, the JWKS and discovery", async () => {
    const backend = from('192.0.2.10');
    costs.queue(60_000);
    const admitted = await token(backend);
    expect([admitted.status, ((await admitted.json()) as { error: string }).error]).toEqual([400, 'invalid_grant']);

    const refused = await token(backend);
    expect(refused.status).toBe(429);
    // Owing one burst (10 000 ms, the cap) at 500 ms a second: 10 001 ms short of the next request.
    expect(refused.headers.get('retry-after')).toBe('21');
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(await refused.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'Too many requests from this address; retry after 21 seconds.' });
    const auth = { client_id: app.client_id, client_secret: app.client_secret, token: 'x' };
    for (const path of ['/oidc/token/introspection', '/oidc/token/revocation', '/oidc/request']) expect((await form(path, auth, backend)).status, path).toBe(429);
    expect((await fetch(`${env.base}/oidc/me`, { headers: { ...backend, authorization: 'Bearer x' } })).status).toBe(429);
    expect(await rateLimitedCount(env.direct, 'portcullis-oidc')).toBe(5);

    for (const path of ['/oidc/jwks', '/oidc/.well-known/openid-configuration']) expect((await fetch(`${env.base}${path}`, { headers: backend })).status, path).toBe(200);
    expect((await authorize(backend)).status, 'the sign-in pages draw from their own budget').toBe(303);
    expect((await token(from('192.0.2.11'))).status, 'another address').toBe(400);
    expect((await token({})).status, 'the socket address (no X-Forwarded-For)').toBe(400);
  });

  it('files clients behind the trusted proxy by the address it saw, whatever they wrote in front of it, and IPv6 ones by their /64', async () => {
    costs.queue(60_000);
    expect((await authorize(from('6.6.6.6, 203.0.113.30'))).status).toBe(303);
    const refused = await authorize(from('7.7.7.7, 203.0.113.30'));
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([429, '21']);
    expect((await authorize(from('203.0.113.30, 203.0.113.31'))).status).toBe(303);

    costs.queue(60_000);
    await authorize(from('2001:db8:5:1::1'));
    expect((await authorize(from('2001:db8:5:1:a:b:c:d'))).status).toBe(429);
    expect((await authorize(from('2001:db8:5:2::1'))).status).toBe(303);
  });
});

describe('sign-in budget: without a trusted proxy', () => {
  const costs = new ScriptedCosts();
  let env: SsoEnv;

  beforeAll(async () => {
    env = await SsoEnv.start({ clock: new FakeClock(new Date()), requestCostMeter: costs });
  });
  afterAll(() => env?.close());

  it('ignores X-Forwarded-For: clients sharing the socket address share its budget', async () => {
    const authorizeAs = (forwardedFor: string) => fetch(`${env.base}/oidc/auth`, { headers: { 'x-forwarded-for': forwardedFor }, redirect: 'manual' });
    costs.queue(60_000);
    expect((await authorizeAs('203.0.113.40')).status).toBe(400);
    expect((await authorizeAs('203.0.113.41')).status).toBe(429);
  });
});

describe('sign-in budget: switched off', () => {
  const costs = new ScriptedCosts();
  let env: SsoEnv;

  beforeAll(async () => {
    env = await SsoEnv.start({ clock: new FakeClock(new Date()), requestCostMeter: costs, config: { signInBudgetMsPerSecond: 0, oidcAppBudgetMsPerSecond: 0 } });
  });
  afterAll(() => env?.close());

  it('never refuses, however much requests cost', async () => {
    costs.each = 60_000;
    for (let i = 0; i < 20; i++) {
      expect((await fetch(`${env.base}/oidc/auth`, { redirect: 'manual' })).status).toBe(400);
      expect((await fetch(`${env.base}/oidc/token`, { method: 'POST' })).status).toBe(400);
    }
    expect(await rateLimitedCount(env.direct, 'portcullis-sso')).toBe(0);
    expect(await rateLimitedCount(env.direct, 'portcullis-oidc')).toBe(0);
  });
});
