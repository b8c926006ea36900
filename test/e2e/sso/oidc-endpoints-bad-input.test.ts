import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser, readForm } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

type Creds = { client_id: string; client_secret: string };
type Answer = { status: number; body: any; headers: Headers };

const CALLBACK = 'http://127.0.0.1:9/callback';
const basic = (c: Creds) => `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;

/**
 * The OpenID Provider's public endpoints (token, introspection, revocation, userinfo, end
 * session) facing missing or wrong client credentials, a deleted app,
 * a rotated-away secret, another tenant's app and malformed or oversized input: each refusal is
 * a 4xx with the OAuth error code, and the tokens, codes and sessions involved are untouched.
 * (Happy paths, wrong secrets for client credentials, refresh-token reuse and deprovisioning
 * are in client-credentials.test.ts and session-lifecycle.test.ts; the sign-in interaction's
 * routes in interaction-bad-input.test.ts.)
 */
describe('OpenID Provider endpoints refuse bad input and foreign apps, and change nothing', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp();
  const globexIdp = new TestSamlIdp('http://www.okta.com/exkGLOBEX', 'https://globex.okta.test/sso');
  let acme: { id: string };
  let globex: { id: string };
  let acmeApp: Creds;
  let globexApp: Creds;
  let acmeMachine: Creds;
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    globex = await env.tenant('Globex', 'globex');
    await env.samlConnection(acme.id, idp);
    await env.samlConnection(globex.id, globexIdp);
    acmeApp = await env.app(acme.id);
    globexApp = await env.app(globex.id);
    acmeMachine = await env.ok('POST', `/admin/v1/tenants/${acme.id}/apps`, { name: 'backend', grant_types: ['client_credentials'], authz_scopes: ['authz:read'] });
    rp = await env.rp(acmeApp);
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test', externalId: 'alice@acme.test' });
  });
  afterAll(() => env?.close());

  /** POSTs a form to an /oidc endpoint; `auth` adds HTTP Basic client authentication. */
  async function post(path: string, form: Record<string, string> | string | ReadableStream, auth?: Creds, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(`${env.base}/oidc${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: basic(auth) } : {}), ...headers },
      body: typeof form === 'string' || form instanceof ReadableStream ? form : new URLSearchParams(form).toString(),
      duplex: 'half',
    } as RequestInit);
    const text = await res.text();
    return { status: res.status, body: /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text, headers: res.headers };
  }
  const refusal = (a: Answer) => [a.status, a.body?.error];
  const introspect = async (token: string, as: Creds = acmeApp) => (await post('/token/introspection', { token }, as)).body;
  const userinfo = (token: string) => fetch(`${env.base}/oidc/me`, { headers: { authorization: `Bearer ${token}` } });

  /** Alice signs in to `app` through Acme's IdP; returns the code the app's callback received. */
  async function code(app: client.Configuration = rp, browser = new Browser()): Promise<{ code: string; verifier: string; browser: Browser }> {
    const flow = await env.samlLogin(browser, app, idp, { organization: 'acme' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    const landed = new URL(flow.landed);
    expect(landed.searchParams.get('code')).toBeTruthy();
    return { code: landed.searchParams.get('code') as string, verifier: flow.verifier, browser };
  }
  const redeem = (c: { code: string; verifier: string }, as?: Creds, extra: Record<string, string> = {}) =>
    post('/token', { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: CALLBACK, ...extra }, as);
  const refresh = (token: string, as?: Creds, extra: Record<string, string> = {}) => post('/token', { grant_type: 'refresh_token', refresh_token: token, ...extra }, as);
  /** Signs in and redeems the code: live access, refresh and ID tokens of `app`. */
  async function tokens(app: Creds = acmeApp): Promise<{ access_token: string; refresh_token: string; id_token: string }> {
    const c = await code(app === acmeApp ? rp : await env.rp(app));
    const r = await redeem(c, app);
    expect(r.status).toBe(200);
    return r.body;
  }
  const reuseAlarms = () => env.audit(acme.id, 'oidc.refresh_token.reuse_detected').length;

  describe('the token endpoint', () => {
    it('refuses every grant without client authentication (invalid_request) or with only a client_id (invalid_client), consuming nothing', async () => {
      const c = await code();
      expect(refusal(await redeem(c))).toEqual([400, 'invalid_request']);
      expect(refusal(await redeem(c, undefined, { client_id: acmeApp.client_id }))).toEqual([401, 'invalid_client']);
      expect(refusal(await post('/token', { grant_type: 'client_credentials' }))).toEqual([400, 'invalid_request']);
      expect(refusal(await post('/token', { grant_type: 'client_credentials', client_id: acmeMachine.client_id }))).toEqual([401, 'invalid_client']);
      const issued = await redeem(c, acmeApp);
      expect(issued.status).toBe(200);
      expect(refusal(await refresh(issued.body.refresh_token))).toEqual([400, 'invalid_request']);
      expect(refusal(await refresh(issued.body.refresh_token, undefined, { client_id: acmeApp.client_id }))).toEqual([401, 'invalid_client']);
      expect((await refresh(issued.body.refresh_token, acmeApp)).status).toBe(200);
      expect(reuseAlarms()).toBe(0);
    });

    it('refuses a wrong client secret (401 invalid_client) for the code and refresh grants, consuming neither', async () => {
      const wrong = { client_id: acmeApp.client_id, client_secret: 'ptc_app_wrong' };
      const c = await code();
      expect(refusal(await redeem(c, wrong))).toEqual([401, 'invalid_client']);
      expect(refusal(await redeem(c, undefined, { client_id: wrong.client_id, client_secret: wrong.client_secret }))).toEqual([401, 'invalid_client']);
      const issued = await redeem(c, acmeApp);
      expect(issued.status).toBe(200);
      expect(refusal(await refresh(issued.body.refresh_token, wrong))).toEqual([401, 'invalid_client']);
      expect((await refresh(issued.body.refresh_token, acmeApp)).status).toBe(200);
      expect(reuseAlarms()).toBe(0);
    });

    it("refuses an Acme app's code redeemed by a Globex app (invalid_grant); Acme's app still redeems it", async () => {
      const c = await code();
      expect(refusal(await redeem(c, globexApp))).toEqual([400, 'invalid_grant']);
      expect(refusal(await redeem(c, acmeMachine))).toEqual([400, 'invalid_request']); // not a code client at all
      const issued = await redeem(c, acmeApp);
      expect(issued.status).toBe(200);
      expect((await introspect(issued.body.access_token)).active).toBe(true);
    });

    it("refuses a Globex app refreshing Acme's refresh token (invalid_grant): no rotation, no reuse alarm, Acme's token still refreshes", async () => {
      const t = await tokens();
      expect(refusal(await refresh(t.refresh_token, globexApp))).toEqual([400, 'invalid_grant']);
      expect(reuseAlarms()).toBe(0);
      expect((await introspect(t.refresh_token)).active).toBe(true);
      const rotated = await refresh(t.refresh_token, acmeApp);
      expect(rotated.status).toBe(200);
      expect(rotated.body.refresh_token).not.toBe(t.refresh_token);
    });

    it('refuses malformed requests with the OAuth error code, and the code they name stays redeemable', async () => {
      const c = await code();
      const cases: [string, Record<string, string> | string, Record<string, string>, number, string][] = [
        ['JSON body', JSON.stringify({ grant_type: 'authorization_code', code: c.code }), { 'content-type': 'application/json' }, 400, 'invalid_request'],
        ['no grant_type', { code: c.code, redirect_uri: CALLBACK }, {}, 400, 'invalid_request'],
        ['password grant', { grant_type: 'password', username: 'alice', password: 'x' }, {}, 400, 'unsupported_grant_type'],
        ['device code grant', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'x' }, {}, 400, 'unsupported_grant_type'],
        ['made-up grant', { grant_type: 'magic' }, {}, 400, 'unsupported_grant_type'],
        ['grant_type twice', `grant_type=authorization_code&grant_type=authorization_code&code=${c.code}&redirect_uri=${encodeURIComponent(CALLBACK)}`, {}, 400, 'invalid_request'],
        ['no code', { grant_type: 'authorization_code', redirect_uri: CALLBACK, code_verifier: c.verifier }, {}, 400, 'invalid_request'],
        ['no PKCE verifier', { grant_type: 'authorization_code', code: c.code, redirect_uri: CALLBACK }, {}, 400, 'invalid_grant'],
        ['wrong PKCE verifier', { grant_type: 'authorization_code', code: c.code, redirect_uri: CALLBACK, code_verifier: client.randomPKCECodeVerifier() }, {}, 400, 'invalid_grant'],
        ['other redirect_uri', { grant_type: 'authorization_code', code: c.code, redirect_uri: 'http://127.0.0.1:9/other', code_verifier: c.verifier }, {}, 400, 'invalid_grant'],
        ['forged code', { grant_type: 'authorization_code', code: 'x'.repeat(43), redirect_uri: CALLBACK, code_verifier: c.verifier }, {}, 400, 'invalid_grant'],
        ['no refresh_token', { grant_type: 'refresh_token' }, {}, 400, 'invalid_request'],
        ['forged refresh_token', { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) }, {}, 400, 'invalid_grant'],
        ['grant the app lacks', { grant_type: 'client_credentials' }, {}, 400, 'invalid_request'],
        ['two client auth methods', { grant_type: 'authorization_code', code: c.code, redirect_uri: CALLBACK, client_id: acmeApp.client_id, client_secret: acmeApp.client_secret }, {}, 400, 'invalid_request'],
      ];
      for (const [name, form, headers, status, error] of cases) {
        expect([name, ...refusal(await post('/token', form, acmeApp, headers))]).toEqual([name, status, error]);
      }
      for (const header of ['Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Bearer x']) {
        expect(refusal(await post('/token', { grant_type: 'client_credentials' }, undefined, { authorization: header }))).toEqual([400, 'invalid_request']);
      }
      expect(refusal(await post('/token', { grant_type: 'client_credentials', resource: 'https://evil.test/' }, acmeMachine))).toEqual([400, 'invalid_target']);
      expect((await redeem(c, acmeApp)).status).toBe(200);
    });

    it("refuses bodies over oidc-provider's 56 KiB cap with 400 invalid_request, declared or chunked, before issuing anything", async () => {
      const padding = 'a'.repeat(60 * 1024);
      const declared = await post('/token', { grant_type: 'client_credentials', scope: `authz:read ${padding}` }, acmeMachine);
      expect([...refusal(declared), declared.body.error_description]).toEqual([400, 'invalid_request', 'failed to parse the request body']);
      // Just under the cap the body is read and parsed (an unknown scope is ignored).
      const under = await post('/token', { grant_type: 'client_credentials', scope: `authz:read ${'a'.repeat(50 * 1024)}` }, acmeMachine);
      expect([under.status, under.body.scope]).toEqual([200, 'authz:read']);
      let sent = 0; // 1 MiB in 16 KiB chunks, no Content-Length
      const chunks = new ReadableStream<Uint8Array>({
        pull: (ctrl) => (sent++ === 64 ? ctrl.close() : ctrl.enqueue(new TextEncoder().encode(sent === 1 ? 'grant_type=client_credentials&scope=' : padding.slice(0, 16 * 1024)))),
      });
      expect(refusal(await post('/token', chunks, acmeMachine))).toEqual([400, 'invalid_request']);
      for (const path of ['/token/introspection', '/token/revocation']) {
        expect(refusal(await post(path, { token: padding }, acmeApp))).toEqual([400, 'invalid_request']);
      }
    });

    it('answers a declared 1 GiB body at once, without waiting for (or reading) it', async () => {
      const req = httpRequest(`${env.base}/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(1024 ** 3), authorization: basic(acmeMachine) },
      });
      req.write('grant_type=client_credentials&scope=');
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      const body = JSON.parse(Buffer.concat(await res.toArray()).toString());
      req.destroy();
      expect([res.statusCode, body.error, body.error_description]).toEqual([400, 'invalid_request', 'failed to parse the request body']);
    });
  });

  describe('introspection and revocation', () => {
    it('refuse a missing client authentication, a wrong secret and a missing token, revealing nothing about the token', async () => {
      const t = await tokens();
      const wrong = { client_id: acmeApp.client_id, client_secret: 'ptc_app_wrong' };
      for (const path of ['/token/introspection', '/token/revocation']) {
        const none = await post(path, { token: t.access_token });
        expect(refusal(none)).toEqual([400, 'invalid_request']);
        expect(JSON.stringify(none.body)).not.toMatch(/active|sub|usr_/);
        expect(refusal(await post(path, { token: t.access_token, client_id: acmeApp.client_id }))).toEqual([401, 'invalid_client']);
        expect(refusal(await post(path, { token: t.access_token }, wrong))).toEqual([401, 'invalid_client']);
        expect(refusal(await post(path, {}, acmeApp))).toEqual([400, 'invalid_request']);
        expect(refusal(await post(path, `token=${t.access_token}&token=${t.access_token}`, acmeApp))).toEqual([400, 'invalid_request']);
        expect(refusal(await post(path, JSON.stringify({ token: t.access_token }), acmeApp, { 'content-type': 'application/json' }))).toEqual([400, 'invalid_request']);
      }
      expect(await introspect(t.access_token)).toMatchObject({ active: true, client_id: acmeApp.client_id });
      expect((await userinfo(t.access_token)).status).toBe(200);
    });

    it("tell another app nothing about a token: a Globex app (or Acme's own machine app) introspecting Acme's tokens gets {active:false}", async () => {
      const t = await tokens();
      for (const token of [t.access_token, t.refresh_token]) {
        expect(await introspect(token, globexApp)).toEqual({ active: false });
        expect(await introspect(token, acmeMachine)).toEqual({ active: false });
        expect(await introspect(token)).toMatchObject({ active: true, client_id: acmeApp.client_id });
      }
      expect((await refresh(t.refresh_token, acmeApp)).status).toBe(200);
    });

    it("refuse a Globex app revoking Acme's access or refresh token (400 invalid_request); both keep working", async () => {
      const t = await tokens();
      for (const token of [t.access_token, t.refresh_token]) {
        expect(refusal(await post('/token/revocation', { token }, globexApp))).toEqual([400, 'invalid_request']);
        expect(refusal(await post('/token/revocation', { token }, acmeMachine))).toEqual([400, 'invalid_request']);
      }
      expect((await introspect(t.access_token)).active).toBe(true);
      expect((await userinfo(t.access_token)).status).toBe(200);
      expect((await refresh(t.refresh_token, acmeApp)).status).toBe(200);
    });

    it('answer an unknown token as RFC 7009/7662 say (revocation 200, introspection inactive) and touch no live token', async () => {
      const t = await tokens();
      expect((await post('/token/revocation', { token: 'x'.repeat(43) }, acmeApp)).status).toBe(200);
      expect(await introspect('x'.repeat(43))).toEqual({ active: false });
      expect((await introspect(t.access_token)).active).toBe(true);
    });
  });

  describe('the credentials of a deleted app and a rotated-away secret', () => {
    it("refuse a deleted app on the token, introspection, revocation and end-session endpoints, and its tokens stop working", async () => {
      const doomed = await env.app(acme.id, { name: 'doomed' });
      const t = await tokens(doomed);
      await env.ok('DELETE', `/admin/v1/tenants/${acme.id}/apps/${doomed.client_id}`);
      expect(refusal(await refresh(t.refresh_token, doomed))).toEqual([401, 'invalid_client']);
      expect(refusal(await post('/token/introspection', { token: t.access_token }, doomed))).toEqual([401, 'invalid_client']);
      expect(refusal(await post('/token/revocation', { token: t.access_token }, doomed))).toEqual([401, 'invalid_client']);
      const me = await userinfo(t.access_token);
      expect([me.status, ((await me.json()) as { error: string }).error]).toEqual([401, 'invalid_token']);
      const end = await fetch(`${env.base}/oidc/session/end?client_id=${doomed.client_id}`, { redirect: 'manual' });
      expect([end.status, ((await end.json()) as { error: string }).error]).toEqual([400, 'invalid_client']);
    });

    it('refuse the old secret after rotation on the refresh, introspection and revocation endpoints; nothing was revoked', async () => {
      const app = await env.app(acme.id, { name: 'rotating' });
      const t = await tokens(app);
      const rotated = await env.ok('POST', `/admin/v1/tenants/${acme.id}/apps/${app.client_id}/rotate-secret`);
      const fresh = { client_id: app.client_id, client_secret: rotated.client_secret as string };
      expect(refusal(await refresh(t.refresh_token, app))).toEqual([401, 'invalid_client']);
      expect(refusal(await post('/token/introspection', { token: t.access_token }, app))).toEqual([401, 'invalid_client']);
      expect(refusal(await post('/token/revocation', { token: t.access_token }, app))).toEqual([401, 'invalid_client']);
      expect(await introspect(t.access_token, fresh)).toMatchObject({ active: true });
      expect((await refresh(t.refresh_token, fresh)).status).toBe(200);
    });
  });

  describe('userinfo', () => {
    it('refuses a missing, forged, revoked or client-credentials token with 401 invalid_token and a Bearer challenge', async () => {
      const t = await tokens();
      const machine = await post('/token', { grant_type: 'client_credentials', scope: 'authz:read' }, acmeMachine);
      expect(machine.status).toBe(200);
      const me = async (headers: Record<string, string>) => {
        const res = await fetch(`${env.base}/oidc/me`, { headers });
        return [res.status, ((await res.json()) as { error: string }).error, /^Bearer /.test(res.headers.get('www-authenticate') ?? '')];
      };
      expect(await me({})).toEqual([401, 'invalid_token', true]);
      expect(await me({ authorization: 'Bearer forged' })).toEqual([401, 'invalid_token', true]);
      expect(await me({ authorization: `Bearer ${machine.body.access_token}` })).toEqual([401, 'invalid_token', true]);
      expect(await me({ authorization: `Bearer ${t.refresh_token}` })).toEqual([401, 'invalid_token', true]);
      const twice = await post('/me', { access_token: t.access_token }, undefined, { authorization: `Bearer ${t.access_token}` });
      expect(refusal(twice)).toEqual([400, 'invalid_request']);
      expect((await userinfo(t.access_token)).status).toBe(200);
      await post('/token/revocation', { token: t.access_token }, acmeApp);
      expect(await me({ authorization: `Bearer ${t.access_token}` })).toEqual([401, 'invalid_token', true]);
    });
  });

  describe('RP-initiated logout', () => {
    it('refuses a forged hint, an unregistered redirect, a hint from another app and an unknown client; the session lives on', async () => {
      const c = await code();
      const t = (await redeem(c, acmeApp)).body;
      const end = async (q: Record<string, string>) => {
        const res = await c.browser.request(`${env.base}/oidc/session/end?${new URLSearchParams(q)}`);
        return [res.status, ((await res.json()) as { error: string }).error];
      };
      expect(await end({ id_token_hint: 'forged' })).toEqual([400, 'invalid_request']);
      const [h, p] = t.id_token.split('.');
      expect(await end({ id_token_hint: `${h}.${p}.${Buffer.from('forged-signature').toString('base64url')}` })).toEqual([400, 'invalid_request']);
      expect(await end({ id_token_hint: t.id_token, post_logout_redirect_uri: 'https://evil.test/' })).toEqual([400, 'invalid_request']);
      expect(await end({ id_token_hint: t.id_token, client_id: globexApp.client_id, post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out' })).toEqual([400, 'invalid_request']);
      expect(await end({ client_id: 'app_unknown' })).toEqual([400, 'invalid_client']);
      expect((await refresh(t.refresh_token, acmeApp)).status).toBe(200);
      expect(env.audit(acme.id, 'oidc.logout')).toHaveLength(0);
    });

    it('refuses a confirmation with a forged xsrf token or without the logout cookie; no session ends', async () => {
      const c = await code();
      const t = (await redeem(c, acmeApp)).body;
      const page = await c.browser.request(`${env.base}/oidc/session/end?${new URLSearchParams({ id_token_hint: t.id_token })}`);
      const form = readForm(await page.text());
      expect(form.fields.xsrf).toBeTruthy();
      const forged = await c.browser.request(new URL(form.action, env.base).toString(), { form: { ...form.fields, xsrf: 'forged', logout: 'yes' } });
      expect([forged.status, ((await forged.json()) as { error: string }).error]).toEqual([400, 'invalid_request']);
      const cookieless = await post('/session/end/confirm', { ...form.fields, logout: 'yes' });
      expect(refusal(cookieless)).toEqual([400, 'invalid_request']);
      expect((await refresh(t.refresh_token, acmeApp)).status).toBe(200);
      expect(env.audit(acme.id, 'oidc.logout')).toHaveLength(0);
    });
  });

  it('answers an unknown path under /oidc with the API\'s JSON 404, not plain text', async () => {
    for (const path of ['/oidc/nope', '/oidc/', '/oidc/token/nope?x=1']) {
      const res = await fetch(`${env.base}${path}`);
      expect([path, res.status, res.headers.get('content-type')]).toEqual([path, 404, 'application/json; charset=utf-8']);
      const body = (await res.json()) as { code: string; message: string; request_id: string };
      expect(body).toMatchObject({ code: 'route_not_found', message: `No route for GET ${path.split('?')[0]}.` });
      expect(body.request_id).toBe(res.headers.get('x-request-id'));
    }
  });
});
