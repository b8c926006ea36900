import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import { SsoEnv, freePort } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/** A raw GET, so the test (not fetch) decides the Host header. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode as number, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

const FORGED: Record<string, string>[] = [{}, { host: 'evil.test' }, { 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'http' }];
const endpoints = (d: Record<string, unknown>) => Object.entries(d).filter(([k, v]) => (k.endsWith('_endpoint') || k === 'jwks_uri') && typeof v === 'string');

/**
 * The OpenID Provider's absolute URLs (discovery endpoints, the logout form's action) and its
 * cookies' Secure flag come from PORTCULLIS_BASE_URL, the public origin, whatever Host or
 * X-Forwarded-* headers a request carries and whichever hop it arrived on: Portcullis serves
 * plain HTTP, so an https BASE_URL means TLS ends at a proxy in front.
 */
describe('the OpenID Provider takes its URLs and cookie security from PORTCULLIS_BASE_URL, not from the request', () => {
  describe('behind a TLS-terminating proxy (BASE_URL https, no trusted proxy hops)', () => {
    let env: SsoEnv;
    let app: { client_id: string };
    const PUBLIC = 'https://sso.example.test';

    beforeAll(async () => {
      env = await SsoEnv.start({ config: { baseUrl: PUBLIC } });
      const acme = await env.tenant('Acme', 'acme');
      app = await env.app(acme.id);
    });
    afterAll(() => env?.close());

    it('advertises every endpoint under the https issuer, also to a request with a forged Host or X-Forwarded-Host', async () => {
      for (const headers of FORGED) {
        const d = JSON.parse((await get(`${env.base}/oidc/.well-known/openid-configuration`, headers)).body) as Record<string, unknown>;
        expect(d.issuer).toBe(`${PUBLIC}/oidc`);
        expect(endpoints(d).length).toBeGreaterThan(5);
        for (const [name, url] of endpoints(d)) expect([name, url]).toEqual([name, expect.stringMatching(/^https:\/\/sso\.example\.test\/oidc\//)]);
      }
    });

    it('posts the logout confirmation to the https issuer, whatever the Host header says', async () => {
      for (const headers of FORGED) {
        const page = await get(`${env.base}/oidc/session/end?client_id=${app.client_id}`, headers);
        expect(/<form[^>]*action="([^"]*)"/.exec(page.body)?.[1]).toBe(`${PUBLIC}/oidc/session/end/confirm`);
      }
    });

    it('marks its interaction and session cookies Secure (and HttpOnly, SameSite=Lax)', async () => {
      const q = new URLSearchParams({ client_id: app.client_id, response_type: 'code', redirect_uri: 'http://127.0.0.1:9/callback', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
      const auth = await get(`${env.base}/oidc/auth?${q}`);
      const end = await get(`${env.base}/oidc/session/end?client_id=${app.client_id}`);
      const cookies = [...(auth.headers['set-cookie'] ?? []), ...(end.headers['set-cookie'] ?? [])];
      expect(cookies.map((c) => c.split('=')[0])).toEqual(expect.arrayContaining(['_interaction', '_interaction_resume', '_session']));
      for (const c of cookies) expect(c.toLowerCase().split('; ')).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax']));
    });
  });

  describe('on plain HTTP (BASE_URL http)', () => {
    let env: SsoEnv;

    beforeAll(async () => {
      env = await SsoEnv.start();
    });
    afterAll(() => env?.close());

    it('advertises endpoints under BASE_URL to a request with a forged Host, and sets no Secure cookie', async () => {
      for (const headers of FORGED) {
        const d = JSON.parse((await get(`${env.base}/oidc/.well-known/openid-configuration`, headers)).body) as Record<string, unknown>;
        for (const [name, url] of endpoints(d)) expect([name, (url as string).startsWith(`${env.base}/oidc/`)]).toEqual([name, true]);
      }
      const end = await get(`${env.base}/oidc/session/end`, { 'x-forwarded-proto': 'https' });
      expect(end.headers['set-cookie']?.length).toBeGreaterThan(0);
      for (const c of end.headers['set-cookie'] ?? []) expect(c.toLowerCase()).not.toMatch(/;\s*secure/);
    });
  });

  describe('a whole sign-in through a TLS-terminating relay that adds no forwarding headers', () => {
    let env: SsoEnv;
    let relay: TlsServer;
    let publicUrl = '';
    const idp = new TestSamlIdp();
    const keys = join(import.meta.dirname, '../../../fixtures/saml/keys');
    const tlsCheck = process.env.NODE_TLS_REJECT_UNAUTHORIZED;

    beforeAll(async () => {
      const relayPort = await freePort();
      publicUrl = `https://127.0.0.1:${relayPort}`;
      env = await SsoEnv.start({ config: { baseUrl: publicUrl } });
      const target = Number(new URL(env.base).port);
      relay = createTlsServer({ key: readFileSync(join(keys, 'idp.key.pem')), cert: readFileSync(join(keys, 'idp.cert.pem')) }, (tls) => {
        const plain = connect(target, '127.0.0.1');
        tls.pipe(plain).pipe(tls);
        for (const s of [tls, plain]) s.on('error', () => tls.destroy());
      });
      await new Promise<void>((listening) => relay.listen(relayPort, '127.0.0.1', listening));
      // The relay's certificate is a test one (this worker process only).
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    });
    afterAll(async () => {
      if (tlsCheck === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = tlsCheck;
      relay?.close();
      await env?.close();
    });

    it('signs in with Secure cookies all the way and answers the app under the https issuer', async () => {
      const acme = await env.tenant('Acme', 'acme');
      await env.samlConnection(acme.id, idp);
      const app = await env.app(acme.id);
      env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test', externalId: 'alice@acme.test' });
      const rp = await client.discovery(new URL(`${publicUrl}/oidc`), app.client_id, app.client_secret);
      const cookies: string[] = [];
      const browser = new Browser();
      const request = browser.request.bind(browser);
      browser.request = async (url, init) => {
        const res = await request(url, init);
        cookies.push(...res.headers.getSetCookie().map((c) => `${new URL(url).pathname} ${c}`));
        return res;
      };
      const flow = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
      const landed = new URL(flow.landed);
      expect([landed.origin + landed.pathname, landed.searchParams.get('iss')]).toEqual(['http://127.0.0.1:9/callback', `${publicUrl}/oidc`]);
      const tokens = await client.authorizationCodeGrant(rp, landed, { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
      expect(tokens.claims()).toMatchObject({ iss: `${publicUrl}/oidc`, email: 'alice@acme.test', org_id: acme.id });
      const providerCookies = cookies.filter((c) => / _(session|interaction)/.test(c) && !/expires=Thu, 01 Jan 1970/i.test(c));
      expect(providerCookies.length).toBeGreaterThanOrEqual(4);
      for (const c of providerCookies) expect(c.toLowerCase()).toMatch(/;\s*secure/);
    });
  });
});
