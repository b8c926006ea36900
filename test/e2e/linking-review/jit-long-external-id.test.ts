import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

/**
 * A user made just in time is named (`userName`) by its email, else by its external id. SCIM
 * names are at most 256 characters, while an external id may have up to 512 (an opaque SAML
 * persistent NameID, as Shibboleth-style IdPs make). Without an email such an id would give the
 * directory a user no SCIM client could ever name: the sign-in is refused, audited with the
 * reason and what to change, never cut or replaced by a made-up name.
 */
describe('a just-in-time user whose external id is too long to be its userName', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let conn: { id: string };
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    conn = await env.samlConnection(tenant.id, idp);
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(() => env?.close());

  /** A sign-in whose IdP sends the persistent NameID `nameId` and only the attributes given (no email unless given). */
  async function signIn(nameId: string, attributes: Record<string, string> = {}): Promise<{ sub?: string; reason?: unknown; detail?: unknown }> {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId, nameIdFormat: PERSISTENT, attributes }));
    if (!/\/callback\?code=/.test(flow.landed)) {
      const failed = env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata;
      return { reason: failed?.reason, detail: failed?.detail };
    }
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return { sub: tokens.claims()!.sub };
  }
  const created = () => env.audit(tenant.id, 'directory.user.created').length;

  it('refuses, audited as idp_value_too_long with what to change, and creates nobody', async () => {
    const before = created();
    const sessions = env.sessionCount();
    const r = await signIn(`_${'x'.repeat(299)}`);
    expect(r).toEqual({ reason: 'idp_value_too_long', detail: expect.stringMatching(/no email, and the external id \(300 characters\) would be the new user's userName, above the directory's 256: map an email attribute/) });
    expect(created()).toBe(before);
    expect(env.sessionCount()).toBe(sessions);
    expect(env.services.directory.findUserByExternalId(tenant.id, `_${'x'.repeat(299)}`)).toBeUndefined();
  });

  it('says why an email the IdP sent was not used (an invisible character), instead of that it sent none', async () => {
    const before = created();
    const r = await signIn(`_${'v'.repeat(299)}`, { email: 'vera\u200b@acme.test' });
    expect(r).toEqual({ reason: 'idp_value_too_long', detail: expect.stringMatching(/^the IdP sent an email that is not a usable address \(spaces, control or invisible characters such as a zero-width space, or not one @\), so it is not used, and the external id \(300 characters\)/) });
    expect(String(r.detail)).not.toMatch(/sent no email/);
    expect(created()).toBe(before);
  });

  it('counts characters, not UTF-16 units, as SCIM does: 256 are a valid userName, 257 are not', async () => {
    const id = `${'𝒶'.repeat(200)}${'b'.repeat(56)}`;
    expect([id.length, [...id].length]).toEqual([456, 256]);
    const r = await signIn(id);
    expect(r.sub).toMatch(/^usr_/);
    expect(env.services.directory.findUserById(tenant.id, r.sub as string)?.user_name).toBe(id);
    expect(await signIn(`${id}b`)).toMatchObject({ reason: 'idp_value_too_long', detail: expect.stringMatching(/external id \(257 characters\)/) });
  });

  it('creates the user when the IdP also sends an email (the email is the userName)', async () => {
    const id = `_${'y'.repeat(299)}`;
    const r = await signIn(id, { email: 'yan@elsewhere.test' });
    expect(r.sub).toMatch(/^usr_/);
    expect(env.services.directory.findUserById(tenant.id, r.sub as string)).toMatchObject({ user_name: 'yan@elsewhere.test', external_id: id });
  });

  it('still links a long external id to the user SCIM provisioned with it', async () => {
    const id = `_${'z'.repeat(399)}`;
    const user = env.provisionUser(tenant.id, { userName: 'zed@acme.test', externalId: id });
    expect(await signIn(id)).toEqual({ sub: user });
  });

  it("shows the refusal in the admin's test login, creating nobody", async () => {
    const testing = await env.samlConnection(tenant.id, idp, { status: 'testing' });
    const req = TestSamlIdp.readAuthnRequest((await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections/${testing.id}/test-login`)).url);
    const before = created();
    const raw = idp.response({ recipient: req.acs, audience: req.issuer, inResponseTo: req.id, nameId: `_${'w'.repeat(299)}`, nameIdFormat: PERSISTENT });
    await (await new Browser().request(req.acs, { form: { RelayState: req.relayState, SAMLResponse: raw } })).text();
    const lastTest = (await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${testing.id}`)).last_test;
    expect(lastTest.received.link).toMatchObject({ outcome: 'refused', reason: 'idp_value_too_long' });
    expect(created()).toBe(before);
    expect(conn.id).not.toBe(testing.id);
  });
});
