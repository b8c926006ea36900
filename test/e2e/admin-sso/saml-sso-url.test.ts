import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * The IdP's SSO URL is where every sign-in through a SAML connection sends the browser, and
 * node-saml parses it each time. One that starts with `https://` but is no URL (a space in the
 * host, no host at all) was stored, and every test login and sign-in through the connection
 * then answered 500. It is refused when given, explicitly or in metadata.
 */
describe('a SAML connection whose IdP SSO URL is not a URL', () => {
  const h = new Harness();
  const idp = new TestSamlIdp();
  let base = '';
  let tenantId = '';
  const events = () => [...h.services.audit.export(tenantId, {})].length;
  const explicit = (sso: string) => ({ idp_entity_id: 'https://idp.example.test', idp_sso_url: sso, idp_certificates: [idp.signer.cert] });

  beforeAll(async () => {
    tenantId = (await h.createTenant('Acme', 'acme')).id;
    base = `/admin/v1/tenants/${tenantId}/connections`;
  });
  afterAll(() => h.close());

  it.each(['https://bad host/sso', 'https://', 'https://:443/sso'])('refuses %s as saml.idp_sso_url on create (400 invalid_connection), creating nothing', async (sso) => {
    const before = events();
    const r = await h.json('POST', base, { body: { name: 'Okta', protocol: 'saml', saml: explicit(sso) } });
    expect([r.status, r.body.code]).toEqual([400, 'invalid_connection']);
    expect(r.body.message).toMatch(/^saml\.idp_sso_url: /);
    expect((await h.json('GET', base)).body.data).toHaveLength(0);
    expect(events()).toBe(before);
  });

  it('refuses metadata XML whose SingleSignOnService Location is not a URL (400 invalid_metadata), creating nothing', async () => {
    const before = events();
    const xml = idp.metadataXml().replaceAll(idp.ssoUrl, 'https://bad host/sso');
    const r = await h.json('POST', base, { body: { name: 'Okta', protocol: 'saml', saml: { metadata_xml: xml } } });
    expect([r.status, r.body.code]).toEqual([400, 'invalid_metadata']);
    expect(r.body.message).toMatch(/^saml\.metadata_xml: /);
    expect((await h.json('GET', base)).body.data).toHaveLength(0);
    expect(events()).toBe(before);
  });

  it('refuses such a URL on a PATCH, leaving the connection as it was and still usable for a test login', async () => {
    const created = await h.json('POST', base, { body: { name: 'Okta', protocol: 'saml', saml: { metadata_xml: idp.metadataXml() } } });
    const path = `${base}/${created.body.id}`;
    const before = events();
    for (const saml of [{ idp_sso_url: 'https://bad host/sso' }, { metadata_xml: idp.metadataXml().replaceAll(idp.ssoUrl, 'https://') }]) {
      const r = await h.json('PATCH', path, { body: { saml } });
      expect(r.status).toBe(400);
    }
    const now = await h.json('GET', path);
    expect(now.res.headers.get('etag')).toBe(created.res.headers.get('etag'));
    expect(now.body.saml.idp_sso_url).toBe(idp.ssoUrl);
    expect(events()).toBe(before);
    const test = await h.json('POST', `${path}/test-login`);
    expect(test.status).toBe(201);
  });
});
