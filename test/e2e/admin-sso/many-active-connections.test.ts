import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * The admin API sets no limit on a tenant's connections, but sign-in read the tenant's active
 * connections with a cap of 100 (in id order, i.e. creation order): an app naming the 101st
 * (`connection=`) was refused `connection_not_available`, and the picker never offered it —
 * an active connection nobody could sign in through, with nothing saying why.
 */
describe('a tenant with more than 100 active connections', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let last: { id: string };
  let app: { client_id: string; client_secret: string; redirect: string };
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    for (let i = 0; i < 100; i++) {
      await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, { name: `IdP ${i}`, protocol: 'oidc', status: 'active', oidc: { issuer: 'https://idp.example.test', client_id: `c${i}` } });
    }
    last = await env.samlConnection(tenant.id, idp, { name: 'The 101st' });
    app = await env.app(tenant.id);
  }, 60_000);
  afterAll(() => env?.close());

  it('sends a sign-in that names the 101st active connection to its IdP', async () => {
    const rp = await env.rp(app);
    const url = client.buildAuthorizationUrl(rp, {
      redirect_uri: app.redirect,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      organization: 'acme',
      connection: last.id,
    });
    const landed = await new Browser().follow(url.toString(), (l) => !l.startsWith(env.base));
    expect(env.audit(tenant.id, 'sso.login.failed').map((e) => e.metadata?.reason)).toEqual([]);
    expect(landed.url.slice(0, idp.ssoUrl.length)).toBe(idp.ssoUrl);
  });
});
