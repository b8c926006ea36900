import { afterEach, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { loopbackTlsFetch } from '../../helpers/tls-proxy.ts';

/**
 * Portcullis behind a TLS-terminating proxy, as deployed: BASE_URL https, Portcullis itself
 * serving plain HTTP. The OpenID Provider's endpoints and cookies follow BASE_URL (as Keycloak's
 * `hostname` does), not the scheme a request arrived with nor a header a client wrote: no
 * `PORTCULLIS_TRUST_PROXY` or `X-Forwarded-Proto` is needed for https endpoints and Secure cookies.
 */
describe('the OpenID Provider behind a TLS-terminating proxy', () => {
  let env: SsoEnv | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });
  const viaProxy = (url: string, headers: Record<string, string> = {}) => loopbackTlsFetch(url, { method: 'GET', headers, body: undefined, redirect: 'manual', signal: undefined });
  const endpoints = (doc: Record<string, unknown>) => ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'end_session_endpoint'].map((k) => String(doc[k]));

  for (const trustProxy of ['1', '0']) {
    it(`advertises https endpoints and sets Secure cookies (PORTCULLIS_TRUST_PROXY=${trustProxy})`, async () => {
      env = await SsoEnv.start({ host: 'localhost', tls: true, config: { trustProxy } });
      const doc = (await (await viaProxy(`${env.base}/oidc/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(doc.issuer).toBe(`${env.base}/oidc`);
      for (const url of endpoints(doc)) expect(url).toMatch(new RegExp(`^${env.base}/oidc/`));
      const app = await env.app((await env.tenant('Acme', 'acme')).id);
      const auth = await viaProxy(`${env.base}/oidc/auth?${new URLSearchParams({ client_id: app.client_id, response_type: 'code', scope: 'openid', redirect_uri: app.redirect, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', state: 's' })}`);
      expect(auth.status).toBe(303);
      const cookies = auth.headers.getSetCookie();
      expect(cookies.length).toBeGreaterThan(0);
      for (const c of cookies) expect(c).toMatch(/; secure/i);
    });
  }

  it('takes no scheme or host from a client: forged X-Forwarded-Proto / X-Forwarded-Host change nothing', async () => {
    env = await SsoEnv.start({ config: { baseUrl: 'https://portcullis.example', trustProxy: '1' } });
    const res = await fetch(`${env.direct}/oidc/.well-known/openid-configuration`, { headers: { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.example' } });
    for (const url of endpoints((await res.json()) as Record<string, unknown>)) expect(url).toMatch(/^https:\/\/portcullis\.example\/oidc\//);
  });

  it('with a plain-HTTP BASE_URL (development), endpoints are http and cookies are not Secure', async () => {
    env = await SsoEnv.start();
    const doc = (await (await fetch(`${env.base}/oidc/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    for (const url of endpoints(doc)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oidc\//);
  });
});
