import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { loopbackTlsFetch } from '../../helpers/tls-proxy.ts';

/** A raw GET, so the test (not fetch) decides the Host header. */
function get(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject).end();
  });
}

/** Through the TLS-terminating proxy, which passes the client's headers on. */
async function getTls(url: string, headers: Record<string, string>): Promise<string> {
  const res = await loopbackTlsFetch(url, { method: 'GET', headers, body: undefined, redirect: 'manual', signal: undefined });
  return res.text();
}

const FORGED_HEADERS: Record<string, string>[] = [{}, { host: 'evil.test' }, { 'x-forwarded-host': 'evil.test' }, { 'x-forwarded-host': 'evil.test', host: 'evil.test' }];
// Over TLS the client's Host is also its certificate check; the proxy passes X-Forwarded-Host on.
const FORGED_THROUGH_PROXY: Record<string, string>[] = [{}, { 'x-forwarded-host': 'evil.test' }];

/**
 * oidc-provider builds its absolute URLs from the request's host. They must stay on BASE_URL's
 * host whatever `Host` or `X-Forwarded-Host` a request carries (a trusted proxy passes the
 * client's `X-Forwarded-Host` on unless told otherwise): else one request can make the discovery
 * document (cached by a CDN, say) send apps' tokens and client secrets to another host, or the
 * logout page post to it.
 */
describe("the OpenID Provider's endpoint URLs stay on BASE_URL's host, whatever Host or X-Forwarded-Host says", () => {
  for (const [setting, options] of [
    ['served directly (no trusted proxy)', {}],
    ['behind a trusted TLS-terminating proxy that passes client headers on', { tls: true }],
  ] as const) {
    describe(setting, () => {
      let env: SsoEnv;
      let app: { client_id: string };
      const fetchText = (path: string, headers: Record<string, string>) => ('tls' in options ? getTls : get)(`${env.base}${path}`, headers);
      const FORGED = 'tls' in options ? FORGED_THROUGH_PROXY : FORGED_HEADERS;

      beforeAll(async () => {
        env = await SsoEnv.start(options);
        app = await env.app((await env.tenant('Acme', 'acme')).id);
      });
      afterAll(() => env?.close());

      it('advertises every endpoint of the discovery document under the issuer', async () => {
        for (const headers of FORGED) {
          const d = JSON.parse(await fetchText('/oidc/.well-known/openid-configuration', headers)) as Record<string, unknown>;
          const endpoints = Object.entries(d).filter(([k, v]) => (k.endsWith('_endpoint') || k === 'jwks_uri') && typeof v === 'string');
          expect(endpoints.length).toBeGreaterThan(5);
          for (const [name, url] of endpoints) expect([headers, name, (url as string).startsWith(`${env.base}/oidc/`)]).toEqual([headers, name, true]);
        }
      });

      it('posts the logout confirmation to its own host', async () => {
        for (const headers of FORGED) {
          const page = await fetchText(`/oidc/session/end?client_id=${app.client_id}`, headers);
          expect([headers, /<form[^>]*action="([^"]*)"/.exec(page)?.[1]]).toEqual([headers, `${env.base}/oidc/session/end/confirm`]);
        }
      });
    });
  }
});
