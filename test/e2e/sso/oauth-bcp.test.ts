import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

const CALLBACK = 'http://127.0.0.1:9/callback';
const basic = (c: { client_id: string; client_secret: string }) => `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;

/**
 * The OAuth 2.0 Security BCP (RFC 9700) and OpenID Connect Core properties that hold because of
 * how the provider is configured (response types, redirect URI matching, code replay, keys,
 * discovery, which browser origins may call the token and userinfo endpoints), pinned so that a
 * configuration change cannot quietly drop one. PKCE, refresh-token
 * reuse and the token endpoint's refusals are in saml-flow, session-lifecycle and
 * oidc-endpoints-bad-input.
 */
describe('the OpenID Provider holds to the OAuth 2.0 Security BCP where its configuration decides', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp();
  let app: { client_id: string; client_secret: string };
  let rp: client.Configuration;
  let spa: client.Configuration;
  let challenge: string;

  beforeAll(async () => {
    env = await SsoEnv.start();
    const acme = await env.tenant('Acme', 'acme');
    await env.samlConnection(acme.id, idp);
    app = await env.app(acme.id);
    rp = await env.rp(app);
    const publicApp = await env.app(acme.id, { name: 'SPA', token_endpoint_auth_method: 'none' });
    spa = await client.discovery(new URL(`${env.base}/oidc`), publicApp.client_id, undefined, client.None(), { execute: [client.allowInsecureRequests] });
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test', externalId: 'alice@acme.test' });
    challenge = await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier());
  });
  afterAll(() => env?.close());

  const authorize = (params: Record<string, string>) =>
    fetch(`${env.base}/oidc/auth?${new URLSearchParams({ client_id: app.client_id, response_type: 'code', redirect_uri: CALLBACK, scope: 'openid', state: 'st', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256', organization: 'acme', ...params })}`, { redirect: 'manual' });

  it('refuses the implicit and hybrid response types, answering at the redirect URI with state and iss (RFC 9207)', async () => {
    for (const responseType of ['token', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token', 'none']) {
      const res = await authorize({ response_type: responseType });
      const location = new URL(res.headers.get('location') as string);
      const answer = new URLSearchParams(location.hash.slice(1) || location.search);
      expect([responseType, location.origin + location.pathname, answer.get('error'), answer.get('state'), answer.get('iss')]).toEqual([responseType, CALLBACK, 'unsupported_response_type', 'st', `${env.base}/oidc`]);
      expect(answer.get('access_token') ?? answer.get('id_token') ?? answer.get('code')).toBeNull();
    }
  });

  it('matches redirect_uri exactly: a changed path, case, port, host, query or dot-segment gets an error page, never a redirect', async () => {
    const near = ['http://127.0.0.1:9/callback/', 'http://127.0.0.1:9/Callback', 'http://127.0.0.1:9/callback?next=x', 'http://127.0.0.1:9/callback/../callback', 'http://127.0.0.1:10/callback', 'http://localhost:9/callback', 'https://127.0.0.1:9/callback', 'http://127.0.0.1:9/callback#x'];
    for (const redirect of near) {
      const res = await authorize({ redirect_uri: redirect });
      expect([redirect, res.status, res.headers.get('location')]).toEqual([redirect, 400, null]);
      expect(await res.text()).toMatch(/redirect_uri/);
    }
    expect((await authorize({})).status).toBe(303);
  });

  it("refuses a code redeemed a second time and revokes the tokens issued on its first redemption", async () => {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    const code = new URL(flow.landed).searchParams.get('code') as string;
    const redeem = async () => {
      const res = await fetch(`${env.base}/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app) },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: flow.verifier, redirect_uri: CALLBACK }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    };
    const first = await redeem();
    expect(first.status).toBe(200);
    expect((await client.tokenIntrospection(rp, first.body.access_token as string)).active).toBe(true);
    expect(await redeem()).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    for (const token of [first.body.access_token, first.body.refresh_token] as string[]) expect((await client.tokenIntrospection(rp, token)).active).toBe(false);
    await expect(client.refreshTokenGrant(rp, first.body.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('publishes only public key material, and its discovery document advertises no more than it enforces', async () => {
    const jwks = (await (await fetch(`${env.base}/oidc/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) expect(Object.keys(key).filter((k) => ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'].includes(k))).toEqual([]);
    const d = (await (await fetch(`${env.base}/oidc/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(d).toMatchObject({
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      claims_parameter_supported: false,
      request_uri_parameter_supported: false,
      subject_types_supported: ['public'],
    });
    expect(d.request_parameter_supported ?? false).toBe(false);
    expect(d.grant_types_supported).toEqual(expect.not.arrayContaining(['implicit', 'password']));
    expect(d.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
    for (const algs of ['id_token_signing_alg_values_supported', 'userinfo_signing_alg_values_supported', 'request_object_signing_alg_values_supported']) {
      expect([algs, ((d[algs] as string[] | undefined) ?? []).filter((a) => a === 'none' || a.startsWith('HS'))]).toEqual([algs, []]);
    }
  });

  it("answers a browser's token and userinfo calls only from the app's own origin (a public app's redirect URI), and a confidential app's from none", async () => {
    const flow = await env.samlLogin(new Browser(), spa, idp, { organization: 'acme' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    const code = new URL(flow.landed).searchParams.get('code') as string;
    const token = (origin: string, form: Record<string, string>, auth?: string) =>
      fetch(`${env.base}/oidc/token`, { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) }, body: new URLSearchParams(form) });
    const redeem = { grant_type: 'authorization_code', code, code_verifier: flow.verifier, redirect_uri: CALLBACK, client_id: spa.clientMetadata().client_id };
    const foreign = await token('https://evil.test', redeem);
    expect([foreign.status, await foreign.json(), foreign.headers.get('access-control-allow-origin')]).toEqual([400, { error: 'invalid_request', error_description: expect.stringMatching(/^origin https:\/\/evil\.test not allowed/) }, null]);
    const own = await token('http://127.0.0.1:9', redeem);
    expect([own.status, own.headers.get('access-control-allow-origin')]).toEqual([200, 'http://127.0.0.1:9']);
    const { access_token } = (await own.json()) as { access_token: string };
    for (const [origin, status] of [['https://evil.test', 400], ['http://127.0.0.1:9', 200]] as const) {
      const me = await fetch(`${env.base}/oidc/me`, { headers: { origin, authorization: `Bearer ${access_token}` } });
      expect([origin, me.status]).toEqual([origin, status]);
    }
    const confidential = await token('http://127.0.0.1:9', { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) }, basic(app));
    expect([confidential.status, await confidential.json()]).toEqual([400, { error: 'invalid_request', error_description: expect.stringMatching(/^origin http:\/\/127\.0\.0\.1:9 not allowed/) }]);
  });
});
