import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';

/**
 * An upstream OIDC IdP that says `email_verified: false` (Keycloak or Auth0 with self-service
 * sign-up, an Okta user who never confirmed the address) vouches for the account, not for the
 * address: the address must not link the person to the directory user who holds it, nor reach
 * the app as verified because its domain is the tenant's.
 */
describe('an email the upstream IdP says is not verified', () => {
  let env: SsoEnv;
  let idp: OAuth2Server;
  let tenant: { id: string };
  let rp: client.Configuration;
  let claims: Record<string, unknown> = {};

  beforeAll(async () => {
    idp = await startUpstreamIdp(() => claims);
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    await env.verifiedDomain(tenant.id, 'acme.test');
    await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
      name: 'Keycloak',
      protocol: 'oidc',
      status: 'active',
      oidc: { issuer: idp.issuer.url, client_id: 'portcullis', client_secret: 'upstream-secret', scopes: 'openid email profile' },
    });
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(async () => {
    await env?.close();
    await idp?.stop();
  });

  async function signIn(): Promise<string> {
    const { url, verifier, state } = await authorizationRequest(rp, { organization: 'acme' });
    const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    if (!/\/callback\?code=/.test(done.url)) return done.url;
    const tokens = await client.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state });
    return tokens.claims()!.sub;
  }

  it("does not sign the person in as the directory user who holds that address (it does when the IdP says it is verified)", async () => {
    const ceo = env.provisionUser(tenant.id, { userName: 'ceo@acme.test', email: 'ceo@acme.test', externalId: 'scim-ceo' });
    claims = { sub: 'self-registered-42', email: 'ceo@acme.test', email_verified: false };
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: false });
    expect(await signIn()).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('user_not_provisioned');
    // Nor through a fallback claim (preferred_username), nor with the flag as a string.
    claims = { sub: 'self-registered-42', preferred_username: 'ceo@acme.test', email_verified: 'false' };
    expect(await signIn()).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('user_not_provisioned');
    expect(env.audit(tenant.id, 'sso.login.succeeded').filter((e) => e.target?.id === ceo)).toHaveLength(0);

    claims = { sub: 'okta-ceo', email: 'ceo@acme.test', email_verified: true };
    expect(await signIn()).toBe(ceo);
    expect(env.audit(tenant.id, 'sso.user.linked').at(-1)?.metadata).toMatchObject({ linked_by: 'verified_email' });
  });

  it('gives a user made just in time no email, so the app never receives the address as verified', async () => {
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    claims = { sub: 'self-registered-43', email: 'cfo@acme.test', email_verified: false };
    const sub = await signIn();
    const user = env.services.directory.findUserById(tenant.id, sub);
    expect(user).toMatchObject({ external_id: 'self-registered-43', email: null });
  });
});
