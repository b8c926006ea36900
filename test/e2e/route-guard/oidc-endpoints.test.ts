import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { snapshotDatabase } from './snapshot.ts';
import { OIDC_ENDPOINTS } from './public-routes.ts';

type Creds = { client_id: string; client_secret: string; redirect: string };
const basic = (c: { client_id: string; client_secret: string }) => `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;

/**
 * `ALL /oidc/*` is one Hono route in front of oidc-provider, so the route guard pins what is
 * behind it through the provider's own discovery document, and checks the one endpoint no
 * other suite covered: pushed authorization requests, on by the provider's default.
 */
describe('route guard: the OpenID Provider behind /oidc/*', () => {
  let env: SsoEnv;
  let acme: Creds;
  let globex: Creds;

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.app((await env.tenant('Acme', 'acme')).id);
    globex = await env.app((await env.tenant('Globex', 'globex')).id);
    // The provider makes its signing keys on first use: do it before snapshots are compared.
    await fetch(`${env.base}/oidc/.well-known/openid-configuration`);
  });
  afterAll(() => env?.close());

  it('advertises exactly the reviewed endpoints, at the reviewed paths', async () => {
    const discovery = (await (await fetch(`${env.base}/oidc/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const advertised = Object.fromEntries(
      Object.entries(discovery)
        .filter(([k, v]) => (k.endsWith('_endpoint') || k === 'jwks_uri') && typeof v === 'string')
        .map(([k, v]) => [k, new URL(v as string).pathname]),
    );
    expect(advertised).toEqual(Object.fromEntries(Object.entries(OIDC_ENDPOINTS).map(([k, e]) => [k, e.path])));
    expect(discovery.registration_endpoint, 'dynamic client registration stays off').toBeUndefined();
  });

  describe('pushed authorization requests (/oidc/request)', () => {
    const form = (c: Creds) => ({ client_id: c.client_id, response_type: 'code', scope: 'openid', redirect_uri: c.redirect, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
    const push = async (body: Record<string, string>, auth?: { client_id: string; client_secret: string }) => {
      const res = await fetch(`${env.base}/oidc/request`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: basic(auth) } : {}) },
        body: new URLSearchParams(body).toString(),
      });
      return { status: res.status, body: (await res.json()) as { error?: string; request_uri?: string } };
    };

    it('refuses a push without client authentication, with a wrong secret, or with another app\'s credentials, storing nothing', async () => {
      const before = snapshotDatabase(env.services);
      expect(await push(form(acme))).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
      expect(await push(form(acme), { client_id: acme.client_id, client_secret: 'ptc_app_wrong' })).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
      expect(await push(form(acme), globex)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      expect(snapshotDatabase(env.services)).toEqual(before);
    });

    it("will not let another tenant's app sign in with a request_uri pushed by this app", async () => {
      const pushed = await push(form(acme), acme);
      expect(pushed.status).toBe(201);
      const res = await fetch(`${env.base}/oidc/auth?${new URLSearchParams({ client_id: globex.client_id, request_uri: pushed.body.request_uri as string })}`, { redirect: 'manual' });
      // Refused on the provider's own page: with no redirect_uri of its own, nothing is sent to globex's app.
      expect([res.status, res.headers.get('location')]).toEqual([400, null]);
      expect(await res.text()).toContain('invalid_request_object: request client_id must equal the one in request parameters');
    });
  });
});
