import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * `email_verified` in ID tokens and userinfo: true only for an email in a domain the tenant
 * verified. A tenant's IdP (and SCIM client) may assert any address, so a tenant must not be able
 * to hand a multi-tenant app another company's address as verified.
 */
describe('email_verified follows the tenant’s verified domains', () => {
  let env: SsoEnv;
  let idp: TestSamlIdp;
  let rp: client.Configuration;
  let tenant: { id: string };

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    idp = new TestSamlIdp();
    await env.verifiedDomain(tenant.id, 'acme.test');
    await env.samlConnection(tenant.id, idp);
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(() => env?.close());

  async function tokensFor(nameId: string) {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId, attributes: {} }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    return client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
  }

  it('is true for an email in a verified domain, in the ID token and userinfo', async () => {
    const id = env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'Ada@ACME.test', externalId: 'ada' });
    const tokens = await tokensFor('ada');
    expect(tokens.claims()).toMatchObject({ sub: id, email: 'ada@acme.test', email_verified: true });
    expect(await client.fetchUserInfo(rp, tokens.access_token, id)).toMatchObject({ email: 'ada@acme.test', email_verified: true });
  });

  it("is false for another company's address the tenant's directory holds, which is still passed on", async () => {
    const id = env.provisionUser(tenant.id, { userName: 'mallory', email: 'ceo@othercorp.test', externalId: 'mallory' });
    const tokens = await tokensFor('mallory');
    expect(tokens.claims()).toMatchObject({ sub: id, email: 'ceo@othercorp.test', email_verified: false });
    expect(await client.fetchUserInfo(rp, tokens.access_token, id)).toMatchObject({ email: 'ceo@othercorp.test', email_verified: false });
  });

  it('does not count a subdomain of a verified domain, nor a domain another tenant verified', async () => {
    const other = await env.tenant('Other', 'other');
    await env.verifiedDomain(other.id, 'other.test');
    const sub = env.provisionUser(tenant.id, { userName: 'eve', email: 'eve@eu.acme.test', externalId: 'eve' });
    expect((await tokensFor('eve')).claims()).toMatchObject({ sub, email_verified: false });
    const foreign = env.provisionUser(tenant.id, { userName: 'oscar', email: 'oscar@other.test', externalId: 'oscar' });
    expect((await tokensFor('oscar')).claims()).toMatchObject({ sub: foreign, email_verified: false });
  });
});
