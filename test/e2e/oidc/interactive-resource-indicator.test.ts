import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * The authorization API (`/stores`) is a resource for client credentials only. A sign-in that
 * names it as `resource` must end with a clean OAuth error at the app: it must neither loop
 * between the provider and the sign-in forever nor mint a person's JWT access token that the
 * authorization API takes for a credential of the app's tenant.
 */
describe('an interactive sign-in naming the authorization API as resource', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp('http://www.okta.com/exkRES', 'https://res.okta.test/sso');
  let rp: client.Configuration;
  let platform: { id: string; authz_store_id: string };

  beforeAll(async () => {
    env = await SsoEnv.start();
    platform = await env.tenant('Platform', 'platform');
    const acme = await env.tenant('Acme', 'acme');
    await env.verifiedDomain(acme.id, 'acme.test');
    await env.samlConnection(acme.id, idp);
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test' });
    // The B2B app serves every tenant and calls the authorization API of its own with client credentials.
    rp = await env.rp(
      await env.app(platform.id, { multi_tenant: true, grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], authz_scopes: ['authz:read', 'authz:write'] }),
    );
  });
  afterAll(() => env?.close());

  it.each(['openid', 'openid authz:write'])('answers invalid_target at the redirect URI (scope %s), before any IdP visit', async (scope) => {
    const { url } = await authorizationRequest(rp, { organization: 'acme', scope, resource: `${env.base}/stores` });
    const done = await new Browser().follow(url.toString(), (l) => l.startsWith(idp.ssoUrl) || l.startsWith('http://127.0.0.1:9/'));
    expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=invalid_target/);
  });

  it('still issues the app its client-credentials token for the authorization API', async () => {
    const cc = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    const res = await fetch(`${env.direct}/stores/${platform.authz_store_id}`, { headers: { authorization: `Bearer ${cc.access_token}` } });
    expect(res.status).toBe(200);
  });
});
