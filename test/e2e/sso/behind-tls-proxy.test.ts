import { afterEach, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { loopbackTlsFetch } from '../../helpers/tls-proxy.ts';

/**
 * Portcullis behind a TLS-terminating proxy, as deployed: BASE_URL https, the proxy in front
 * trusted (`PORTCULLIS_TRUST_PROXY`) and sending `X-Forwarded-Proto`. When either is missing the
 * OpenID Provider advertises http:// endpoints, which apps refuse; the log says which setting.
 */
describe('the OpenID Provider behind a TLS-terminating proxy', () => {
  let env: SsoEnv | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });
  const discovery = async (url: string, viaTls: boolean) => {
    const res = viaTls ? await loopbackTlsFetch(url, { method: 'GET', headers: {}, body: undefined, redirect: 'manual', signal: undefined }) : await fetch(url);
    return (await res.json()) as Record<string, unknown>;
  };
  const warnings = (e: SsoEnv) => e.logs.lines.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.level === 'error' && /BASE_URL is https/.test(l.msg));

  it('advertises https endpoints on the public address when the proxy is trusted, and logs no warning', async () => {
    env = await SsoEnv.start({ host: 'localhost', tls: true });
    const doc = await discovery(`${env.base}/oidc/.well-known/openid-configuration`, true);
    expect(doc.issuer).toBe(`${env.base}/oidc`);
    for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'end_session_endpoint']) expect(String(doc[k])).toMatch(new RegExp(`^${env.base}/oidc/`));
    expect(warnings(env)).toEqual([]);
  });

  it('with the proxy not trusted (PORTCULLIS_TRUST_PROXY=0), the log names the setting to fix, once for many requests', async () => {
    env = await SsoEnv.start({ host: 'localhost', tls: true, config: { trustProxy: '0' } });
    const doc = await discovery(`${env.base}/oidc/.well-known/openid-configuration`, true);
    // The symptom apps meet: http:// endpoints under an https issuer.
    expect(String(doc.token_endpoint)).toMatch(/^http:\/\//);
    await discovery(`${env.base}/oidc/.well-known/openid-configuration`, true);
    const logged = warnings(env);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.msg).toMatch(/set PORTCULLIS_TRUST_PROXY/);
  });

  it('with a trusted proxy that does not send X-Forwarded-Proto, the log says so', async () => {
    env = await SsoEnv.start({ config: { baseUrl: 'https://portcullis.example', trustProxy: '1' } });
    await discovery(`${env.direct}/oidc/.well-known/openid-configuration`, false);
    expect(warnings(env).map((l) => l.msg)).toEqual([expect.stringMatching(/did not send X-Forwarded-Proto/)]);
  });

  it('with a plain-HTTP BASE_URL, plain-HTTP requests are expected and nothing is logged', async () => {
    env = await SsoEnv.start();
    await discovery(`${env.base}/oidc/.well-known/openid-configuration`, false);
    expect(warnings(env)).toEqual([]);
  });
});
