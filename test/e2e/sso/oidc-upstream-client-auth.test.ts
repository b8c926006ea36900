import { afterEach, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { ProviderIdp } from '../../helpers/oidc-provider-idp.ts';

/**
 * How Portcullis authenticates to an upstream IdP's token endpoint: `client_secret_basic` (the
 * default of OpenID Connect Discovery), unless the IdP advertises authentication methods that
 * leave it out and include `client_secret_post`. The upstream is a second oidc-provider that
 * enforces its client's registered method.
 */
describe('client authentication at an upstream IdP', () => {
  let env: SsoEnv | undefined;
  let idp: ProviderIdp | undefined;
  afterEach(async () => {
    await env?.close();
    await idp?.close();
    env = idp = undefined;
  });

  type Result = { landed: string; tokens?: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers };
  async function login(rp: client.Configuration): Promise<Result> {
    const { url, verifier, state } = await authorizationRequest(rp, { organization: 'initech' });
    const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    if (!/[?&]code=/.test(done.url)) return { landed: done.url };
    return { landed: done.url, tokens: await client.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state }) };
  }

  async function signInThrough(methods: string[], registered: string, secret = 'a secret with spaces & symbols ~+/='): Promise<Result & { env: SsoEnv; idp: ProviderIdp; tenant: { id: string }; connectionId: string; rp: client.Configuration }> {
    idp = await ProviderIdp.start();
    env = await SsoEnv.start();
    const tenant = await env.tenant('Initech', 'initech');
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    const conn = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
      name: 'Corporate IdP',
      protocol: 'oidc',
      status: 'active',
      oidc: { issuer: idp.issuer, client_id: 'portcullis', client_secret: 'a secret with spaces & symbols ~+/=', scopes: 'openid email profile' },
    });
    idp.configure({ client_id: 'portcullis', client_secret: secret, redirect_uris: [conn.oidc.redirect_uri], token_endpoint_auth_method: registered }, methods);
    idp.nextUser = { sub: 'u-1', claims: { email: 'peter@initech.test', email_verified: true, name: 'Peter Gibbons' } };
    const rp = await env.rp(await env.app(tenant.id));
    return { env, idp, tenant, connectionId: conn.id, rp, ...(await login(rp)) };
  }

  it('uses client_secret_post with an IdP that supports only that (and would refuse Basic)', async () => {
    const r = await signInThrough(['client_secret_post'], 'client_secret_post');
    expect(r.landed).toMatch(/\/callback\?code=/);
    expect(r.tokens?.claims()).toMatchObject({ email: 'peter@initech.test', org_id: r.tenant.id });
    expect(r.idp.tokenAuthMethods).toEqual(['client_secret_post']);
  });

  it('keeps client_secret_basic, the default, when the IdP supports it (a secret with reserved characters is form-encoded and decoded)', async () => {
    const r = await signInThrough(['client_secret_basic', 'client_secret_post'], 'client_secret_basic');
    expect(r.tokens?.claims()).toMatchObject({ email: 'peter@initech.test' });
    expect(r.idp.tokenAuthMethods).toEqual(['client_secret_basic']);
  });

  it('a secret rotated at the IdP: sign-ins end with access_denied, audited as the IdP refusing the client, until the admin PATCHes the new secret in', async () => {
    const r = await signInThrough(['client_secret_basic', 'client_secret_post'], 'client_secret_basic', 'the IdP admin rotated it');
    expect(r.landed).toMatch(/error=access_denied/);
    // The IdP's 401 carries its error in a WWW-Authenticate challenge (RFC 6749 §5.2): reported as the IdP's error, not as a bad token.
    expect(r.env.audit(r.tenant.id, 'sso.login.failed').at(-1)?.metadata).toMatchObject({ reason: 'oidc_idp_error', detail: expect.stringMatching(/^invalid_client/) });
    await r.env.ok('PATCH', `/admin/v1/tenants/${r.tenant.id}/connections/${r.connectionId}`, { oidc: { client_secret: 'the IdP admin rotated it' } });
    expect((await login(r.rp)).tokens?.claims()).toMatchObject({ email: 'peter@initech.test' });
  });
});
