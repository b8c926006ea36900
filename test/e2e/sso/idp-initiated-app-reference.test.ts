import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * `idp_initiated_app_id` names the app an IdP-initiated sign-in lands in: it must be an app of
 * the connection's tenant (or a multi-tenant app). An unknown id used to be a 500 (a foreign-key
 * failure), and another tenant's single-tenant app was accepted, only to refuse every sign-in.
 */
describe('a SAML connection naming the app for IdP-initiated sign-in', () => {
  let env: SsoEnv;
  let acme: { id: string };
  let globex: { id: string };
  const idp = new TestSamlIdp();
  const create = (appId: string) => env.api('POST', `/admin/v1/tenants/${acme.id}/connections`, { name: 'Okta', protocol: 'saml', saml: { metadata_xml: idp.metadataXml(), allow_idp_initiated: true, idp_initiated_app_id: appId } });

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    globex = await env.tenant('Globex', 'globex');
  });
  afterAll(() => env?.close());

  it('refuses an unknown app id and another tenant\'s app alike with 400 invalid_connection, creating nothing', async () => {
    const foreign = await env.app(globex.id, { initiate_login_uri: 'http://127.0.0.1:9/login' });
    for (const appId of ['app_does_not_exist', foreign.client_id]) {
      const r = await create(appId);
      expect([r.status, r.body.code], appId).toEqual([400, 'invalid_connection']);
    }
    expect((await env.ok('GET', `/admin/v1/tenants/${acme.id}/connections`)).data).toEqual([]);
    expect(env.audit(acme.id, 'sso.connection.created')).toEqual([]);
  });

  it('refuses them on a change too, leaving the connection as it was', async () => {
    const own = await env.app(acme.id, { initiate_login_uri: 'http://127.0.0.1:9/login' });
    const conn = await create(own.client_id);
    expect(conn.status).toBe(201);
    const r = await env.api('PATCH', `/admin/v1/tenants/${acme.id}/connections/${conn.body.id}`, { saml: { idp_initiated_app_id: 'app_does_not_exist' } });
    expect([r.status, r.body.code]).toEqual([400, 'invalid_connection']);
    expect((await env.ok('GET', `/admin/v1/tenants/${acme.id}/connections/${conn.body.id}`)).saml.idp_initiated_app_id).toBe(own.client_id);
  });

  it("accepts a multi-tenant app registered on another tenant, and clearing the app with null once IdP-initiated sign-in is off", async () => {
    const shared = await env.app(globex.id, { multi_tenant: true, initiate_login_uri: 'http://127.0.0.1:9/login' });
    const conn = await create(shared.client_id);
    expect(conn.status).toBe(201);
    const stillOn = await env.api('PATCH', `/admin/v1/tenants/${acme.id}/connections/${conn.body.id}`, { saml: { idp_initiated_app_id: null } });
    expect([stillOn.status, stillOn.body.code]).toEqual([400, 'invalid_connection']);
    const cleared = await env.ok('PATCH', `/admin/v1/tenants/${acme.id}/connections/${conn.body.id}`, { saml: { allow_idp_initiated: false, idp_initiated_app_id: null } });
    expect(cleared.saml).toMatchObject({ allow_idp_initiated: false, idp_initiated_app_id: null });
  });

  it('refuses IdP-initiated sign-in without an app to land in, or with an app that has no initiate_login_uri, saying what is needed', async () => {
    const noLanding = await env.app(acme.id);
    const none = await env.api('POST', `/admin/v1/tenants/${acme.id}/connections`, { name: 'Okta', protocol: 'saml', saml: { metadata_xml: idp.metadataXml(), allow_idp_initiated: true } });
    expect([none.status, none.body.code, none.body.message]).toEqual([400, 'invalid_connection', expect.stringMatching(/idp_initiated_app_id: an app with an initiate_login_uri/)]);
    const r = await create(noLanding.client_id);
    expect([r.status, r.body.code]).toEqual([400, 'invalid_connection']);
    const off = await env.ok('POST', `/admin/v1/tenants/${acme.id}/connections`, { name: 'Okta 2', protocol: 'saml', saml: { metadata_xml: idp.metadataXml() } });
    const on = await env.api('PATCH', `/admin/v1/tenants/${acme.id}/connections/${off.id}`, { saml: { allow_idp_initiated: true } });
    expect([on.status, on.body.code]).toEqual([400, 'invalid_connection']);
    expect((await env.ok('GET', `/admin/v1/tenants/${acme.id}/connections/${off.id}`)).saml.allow_idp_initiated).toBe(false);
  });
});
