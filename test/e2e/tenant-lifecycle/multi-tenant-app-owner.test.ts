import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * An app belongs to the tenant it is registered on, a multi-tenant one too. Deleting that tenant
 * deletes what it owns: its multi-tenant app must stop signing people in to the other tenants.
 */
describe('a multi-tenant app whose own tenant is deleted', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp('http://www.okta.com/exkOWNER', 'https://owner.okta.test/sso');
  let vendor: { id: string };
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    vendor = await env.tenant('Vendor', 'vendor');
    const acme = await env.tenant('Acme', 'acme');
    await env.verifiedDomain(acme.id, 'acme.test');
    await env.samlConnection(acme.id, idp);
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test' });
    rp = await env.rp(await env.app(vendor.id, { multi_tenant: true }));
  });
  afterAll(() => env?.close());

  const alice = () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } });

  it('signs nobody in once its tenant is deleted, and the tokens it holds stop', async () => {
    const before = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, alice);
    expect(before.landed).toMatch(/\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(before.landed), { pkceCodeVerifier: before.verifier, expectedState: before.state });

    expect((await env.api('DELETE', `/admin/v1/tenants/${vendor.id}`)).status).toBe(204);
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    const after = await new Browser().follow(url.toString(), (l) => l.startsWith(idp.ssoUrl) || l.startsWith('http://127.0.0.1:9/'));
    expect(after.url.startsWith(idp.ssoUrl)).toBe(false);
    expect(after.url).not.toMatch(/code=/);
    await expect(client.refreshTokenGrant(rp, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_client' });
    await expect(client.fetchUserInfo(rp, tokens.access_token, client.skipSubjectCheck)).rejects.toBeTruthy();
    expect(env.audit(vendor.id, 'tenant.deleted').at(-1)?.metadata).toMatchObject({ apps_deleted: 1 });
  });
});
