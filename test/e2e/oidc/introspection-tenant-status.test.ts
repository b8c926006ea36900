import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * Introspection answers what the tokens can still do: once the tenant a person signed in to is
 * suspended or deleted, refresh and userinfo refuse their tokens, and a resource server that
 * introspects them must not hear `active: true` (with that tenant's `org_id`) either.
 */
describe('introspection of a person whose tenant is suspended or deleted', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp('http://www.okta.com/exkINTRO', 'https://intro.okta.test/sso');
  let acme: { id: string };
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    const platform = await env.tenant('Platform', 'platform');
    acme = await env.tenant('Acme', 'acme');
    await env.verifiedDomain(acme.id, 'acme.test');
    await env.samlConnection(acme.id, idp);
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test' });
    // The B2B app serving every tenant, registered on the platform's own tenant.
    rp = await env.rp(await env.app(platform.id, { multi_tenant: true }));
  });
  afterAll(() => env?.close());

  async function signIn() {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    return client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
  }
  const active = async (token: string) => (await client.tokenIntrospection(rp, token)).active;

  it('answers inactive while the tenant is suspended, and active again once it is resumed', async () => {
    const t = await signIn();
    expect(await client.tokenIntrospection(rp, t.access_token)).toMatchObject({ active: true, org_id: acme.id });
    await env.ok('POST', `/admin/v1/tenants/${acme.id}/suspend`);
    await expect(client.fetchUserInfo(rp, t.access_token, client.skipSubjectCheck)).rejects.toBeTruthy();
    expect(await active(t.access_token)).toBe(false);
    expect(await active(t.refresh_token as string)).toBe(false);
    await env.ok('POST', `/admin/v1/tenants/${acme.id}/resume`);
    expect(await active(t.access_token)).toBe(true);
    expect(await active(t.refresh_token as string)).toBe(true);
  });

  it('answers inactive once the tenant is deleted', async () => {
    const t = await signIn();
    expect(await active(t.access_token)).toBe(true);
    await env.ok('DELETE', `/admin/v1/tenants/${acme.id}`);
    await expect(client.refreshTokenGrant(rp, t.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await active(t.access_token)).toBe(false);
    expect(await active(t.refresh_token as string)).toBe(false);
  });
});
