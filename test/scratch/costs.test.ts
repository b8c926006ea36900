import { afterAll, beforeAll, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../helpers/sso-env.ts';
import { Browser } from '../helpers/browser.ts';
import { TestSamlIdp } from '../helpers/saml-idp.ts';

let env: SsoEnv; let idp: TestSamlIdp; let rp: client.Configuration;
beforeAll(async () => {
  env = await SsoEnv.start();
  const tenant = await env.tenant('Acme', 'acme');
  idp = new TestSamlIdp();
  await env.verifiedDomain(tenant.id, 'acme.test');
  await env.samlConnection(tenant.id, idp);
  rp = await env.rp(await env.app(tenant.id));
  env.provisionUser(tenant.id, { userName: 'alice@acme.test', email: 'alice@acme.test', externalId: '00u1alice' });
});
afterAll(() => env?.close());
it('many sign-ins', async () => {
  for (let i = 0; i < 60; i++) {
    if (i === 30) console.error('COST ---- warm');
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    await client.refreshTokenGrant(rp, tokens.refresh_token!);
  }
}, 120_000);
