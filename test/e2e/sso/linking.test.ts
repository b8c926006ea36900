import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * Which directory user a sign-in becomes: the IdP's external id first, then the email only when
 * its domain is verified for the tenant, else a new user just in time when the tenant allows it.
 * An email in a domain the tenant has not verified never reaches an existing user.
 */
describe('linking a sign-in to a directory user', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp();
  let tenant: { id: string };
  let rp: client.Configuration;
  let ids: { byExternalId: string; byEmail: string; contractor: string };

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    await env.verifiedDomain(tenant.id, 'acme.test');
    // Claimed, never verified: its TXT record is not published.
    await env.ok('POST', `/admin/v1/tenants/${tenant.id}/domains`, { domain: 'contractor.test' });
    await env.samlConnection(tenant.id, idp);
    rp = await env.rp(await env.app(tenant.id));
    ids = {
      byExternalId: env.provisionUser(tenant.id, { userName: 'eve@acme.test', email: 'eve@acme.test', externalId: 'eve@acme.test' }),
      byEmail: env.provisionUser(tenant.id, { userName: 'sam@acme.test', email: 'sam@acme.test', externalId: '00uSCIMsam' }),
      contractor: env.provisionUser(tenant.id, { userName: 'carl@contractor.test', email: 'carl@contractor.test', externalId: '00uSCIMcarl' }),
    };
  });
  afterAll(() => env?.close());

  /** Signs in with the IdP saying NameID `nameId` and email `email`; the ID token's subject, or the failure reason. */
  async function signIn(nameId: string, email: string): Promise<{ sub?: string; reason?: unknown }> {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId, attributes: { email } }));
    if (!/\/callback\?code=/.test(flow.landed)) return { reason: env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason };
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return { sub: tokens.claims()!.sub };
  }
  const linked = () => env.audit(tenant.id, 'sso.user.linked');

  it('links by external id first, without a linking event', async () => {
    const before = linked().length;
    expect(await signIn('eve@acme.test', 'eve@acme.test')).toEqual({ sub: ids.byExternalId });
    expect(linked()).toHaveLength(before);
  });

  it("links by email when the IdP's id is new and the email's domain is verified for the tenant (audited)", async () => {
    expect(await signIn('00uOKTAsam', 'sam@acme.test')).toEqual({ sub: ids.byEmail });
    expect(linked().at(-1)).toMatchObject({ target: { id: ids.byEmail }, metadata: { linked_by: 'verified_email', external_id: '00uOKTAsam' } });
  });

  it('never links by an email whose domain the tenant has not verified (JIT off)', async () => {
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: false });
    expect(await signIn('00uOKTAcarl', 'carl@contractor.test')).toEqual({ reason: 'user_not_provisioned' });
  });

  it('never links by an email whose domain the tenant has not verified, nor creates a second user of that name (JIT on)', async () => {
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    const created = env.audit(tenant.id, 'directory.user.created').length;
    expect(await signIn('00uOKTAcarl', 'carl@contractor.test')).toEqual({ reason: 'user_name_taken' });
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.detail).toMatch(/00uOKTAcarl/);
    expect(env.audit(tenant.id, 'directory.user.created')).toHaveLength(created);
    expect(env.services.directory.findUserByExternalId(tenant.id, '00uOKTAcarl')).toBeUndefined();
    expect(env.logs.text).not.toMatch(/login failed unexpectedly/);
  });

  it('creates a new user just in time for an identity nobody has, and links to it next time by external id', async () => {
    const first = await signIn('00uOKTAnew', 'newcomer@contractor.test');
    expect(first.sub).toMatch(/^usr_/);
    expect(Object.values(ids)).not.toContain(first.sub);
    expect(linked().at(-1)).toMatchObject({ target: { id: first.sub }, metadata: { linked_by: 'jit' } });
    expect(await signIn('00uOKTAnew', 'newcomer@contractor.test')).toEqual({ sub: first.sub });
  });

  it('refuses an IdP value longer than the directory accepts instead of storing or cutting it (JIT on)', async () => {
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    const created = env.audit(tenant.id, 'directory.user.created').length;
    expect(await signIn(`00u${'x'.repeat(600)}`, 'long@contractor.test')).toEqual({ reason: 'idp_value_too_long' });
    expect(await signIn('00uOKTAlong', `${'a'.repeat(250)}@contractor.test`)).toEqual({ reason: 'idp_value_too_long' });
    expect(env.audit(tenant.id, 'directory.user.created')).toHaveLength(created);
  });
});
