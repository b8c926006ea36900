import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';

/**
 * A PATCH whose values equal the current ones is no change (same ETag, no event); these look
 * alike but are changes, each answered with a new ETag and one `sso.connection.updated`.
 */
const TID_A = '9b1c6f0e-2d3a-4c5b-8e7f-0a1b2c3d4e5f';
const TID_B = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

describe('connection PATCHes that look like no change but are one', () => {
  const h = new Harness();
  const idp = new TestSamlIdp();
  let tenantId = '';
  let saml = '';
  let oidc = '';
  const events = () => [...h.services.audit.export(tenantId, {})].filter((e) => e.action === 'sso.connection.updated').length;

  beforeAll(async () => {
    tenantId = (await h.createTenant('Acme', 'acme')).id;
    const base = `/admin/v1/tenants/${tenantId}/connections`;
    const s = await h.json('POST', base, {
      body: { name: 'Okta', protocol: 'saml', attribute_mapping: { email: 'Email' }, group_mappings: [{ idp_group: 'Admins', relation: 'admin' }], saml: { metadata_xml: idp.metadataXml() } },
    });
    const o = await h.json('POST', base, { body: { name: 'OIDC', protocol: 'oidc', oidc: { issuer: 'https://idp.example', client_id: 'portcullis', client_secret: 'secret-aaaa', entra_multi_tenant: true, allowed_entra_tenants: [TID_A, TID_B] } } });
    saml = `${base}/${s.body.id}`;
    oidc = `${base}/${o.body.id}`;
  });
  afterAll(() => h.close());

  const changes: [string, () => string, unknown][] = [
    ['a group name differing in case', () => saml, { group_mappings: [{ idp_group: 'admins', relation: 'admin' }] }],
    ['the same group with another relation', () => saml, { group_mappings: [{ idp_group: 'admins', relation: 'member' }] }],
    ['an attribute source differing in case', () => saml, { attribute_mapping: { email: 'email' } }],
    ['no attribute mapping at all', () => saml, { attribute_mapping: {} }],
    ['the status', () => saml, { status: 'inactive' }],
    ['SHA-1 allowed', () => saml, { saml: { allow_sha1_signatures: true } }],
    ['the clock skew', () => saml, { saml: { clock_skew_seconds: 61 } }],
    ['a second IdP certificate', () => saml, { saml: { metadata_xml: idp.metadataXml([idp.signer.cert, testKey('idp-next').cert]) } }],
    ['one IdP certificate fewer', () => saml, { saml: { metadata_xml: idp.metadataXml([testKey('idp-next').cert]) } }],
    ['another client secret of the same length', () => oidc, { oidc: { client_secret: 'secret-bbbb' } }],
    ['the client secret removed', () => oidc, { oidc: { client_secret: null } }],
    ['one allowed Entra tenant fewer', () => oidc, { oidc: { allowed_entra_tenants: [TID_B] } }],
  ];

  it.each(changes)('takes %s as a change', async (_what, path, body) => {
    const before = await h.json('GET', path());
    const count = events();
    const r = await h.json('PATCH', path(), { body, headers: { 'if-match': before.res.headers.get('etag') as string } });
    expect(r.status).toBe(200);
    expect(r.res.headers.get('etag')).not.toBe(before.res.headers.get('etag'));
    expect(events()).toBe(count + 1);
    // Sent again, it is no change.
    const again = await h.json('PATCH', path(), { body });
    expect(again.res.headers.get('etag')).toBe(r.res.headers.get('etag'));
    expect(events()).toBe(count + 1);
  });

  it('takes the allowed Entra tenants in another order as no change (a set)', async () => {
    await h.json('PATCH', oidc, { body: { oidc: { allowed_entra_tenants: [TID_A, TID_B] } } });
    const before = await h.json('GET', oidc);
    const count = events();
    const r = await h.json('PATCH', oidc, { body: { oidc: { allowed_entra_tenants: [TID_B, TID_A] } } });
    expect([r.status, r.res.headers.get('etag'), events()]).toEqual([200, before.res.headers.get('etag'), count]);
  });
});
