import { afterEach, describe, expect, it } from 'vitest';
import type { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';

/**
 * A tenant admin names an OIDC connection's issuer, and the issuer's discovery document names
 * the token, JWKS and userinfo endpoints: Portcullis must not become their way into the private
 * network it runs in (SSRF). Without the test seam that lets loopback through, an IdP on a
 * private address is refused before any request is sent, unless the operator names it in
 * PORTCULLIS_IDP_PRIVATE_HOSTS (an on-premises AD FS or Keycloak).
 */
describe('upstream OIDC IdPs on private addresses', () => {
  let env: SsoEnv | undefined;
  let upstream: OAuth2Server | undefined;
  afterEach(async () => {
    await env?.close();
    await upstream?.stop();
    env = upstream = undefined;
  });

  async function setUp(config: Record<string, unknown> = {}) {
    let requests = 0;
    upstream = await startUpstreamIdp(() => ({ email: 'milton@initech.test', sub: 'milton' }));
    upstream.service.on('beforeResponse', () => requests++);
    upstream.service.on('beforeIndexResponse' as never, () => requests++);
    env = await SsoEnv.start({ sso: { allowLoopbackIdp: false }, config });
    const tenant = await env.tenant('Initech', 'initech');
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    const conn = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
      name: 'Keycloak',
      protocol: 'oidc',
      status: 'active',
      oidc: { issuer: upstream.issuer.url, client_id: 'portcullis', client_secret: 's', scopes: 'openid email' },
    });
    return { env, tenant, conn, requests: () => requests };
  }

  it("refuses an issuer on a private address: the admin's test login says why, a sign-in fails generically and is audited, and the IdP is never asked", async () => {
    const { env, tenant, conn } = await setUp();
    let discovery = 0;
    (upstream as OAuth2Server).service.on('beforeResponse', () => discovery++);
    const test = await env.api('POST', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}/test-login`);
    expect(test.status).toBe(422);
    expect(test.body).toMatchObject({ code: 'idp_unreachable', message: expect.stringMatching(/private address.*PORTCULLIS_IDP_PRIVATE_HOSTS/) });
    const rp = await env.rp(await env.app(tenant.id));
    const { url } = await authorizationRequest(rp, { organization: 'initech' });
    const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    expect(done.url).toMatch(/error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'oidc_discovery_failed', detail: expect.stringMatching(/private address/) });
    expect(discovery).toBe(0);
  });

  it('signs in through an IdP the operator named in PORTCULLIS_IDP_PRIVATE_HOSTS', async () => {
    const { env, tenant } = await setUp({ idpPrivateHosts: '127.0.0.1' });
    const rp = await env.rp(await env.app(tenant.id));
    const { url } = await authorizationRequest(rp, { organization: 'initech' });
    const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    expect(done.url).toMatch(/\/callback\?code=/);
  });
});
