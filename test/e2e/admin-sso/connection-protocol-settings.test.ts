import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * docs/sso.md: "SAML settings on an OIDC connection or the other way round" is 400
 * `invalid_connection`. A PATCH held to it; a create dropped the other protocol's object without
 * a word, so an admin who sent `protocol: "saml"` with the OIDC settings they meant got a SAML
 * connection (201) and never learnt that their IdP settings were ignored.
 */
describe("creating a connection with the other protocol's settings", () => {
  const h = new Harness();
  const idp = new TestSamlIdp();
  let base = '';
  let tenantId = '';
  const events = () => [...h.services.audit.export(tenantId, {})].length;
  const oidc = { issuer: 'https://idp.example.test', client_id: 'portcullis', client_secret: 'upstream-secret' };

  beforeAll(async () => {
    tenantId = (await h.createTenant('Acme', 'acme')).id;
    base = `/admin/v1/tenants/${tenantId}/connections`;
  });
  afterAll(() => h.close());

  it.each([
    ['a SAML connection with oidc settings', () => ({ name: 'Okta', protocol: 'saml', saml: { metadata_xml: idp.metadataXml() }, oidc })],
    ['a SAML connection with an empty oidc object', () => ({ name: 'Okta', protocol: 'saml', saml: { metadata_xml: idp.metadataXml() }, oidc: {} })],
    ['an OIDC connection with saml settings', () => ({ name: 'Okta', protocol: 'oidc', oidc, saml: { want_response_signed: true } })],
  ])('refuses %s (400 invalid_connection), creating nothing', async (_what, body) => {
    const before = events();
    const r = await h.json('POST', base, { body: body() });
    expect([r.status, r.body.code]).toEqual([400, 'invalid_connection']);
    expect((await h.json('GET', base)).body.data).toHaveLength(0);
    expect(events()).toBe(before);
  });

  it('still creates each protocol with its own settings', async () => {
    expect((await h.json('POST', base, { body: { name: 'Okta', protocol: 'saml', saml: { metadata_xml: idp.metadataXml() } } })).status).toBe(201);
    expect((await h.json('POST', base, { body: { name: 'Okta OIDC', protocol: 'oidc', oidc } })).status).toBe(201);
  });
});
