import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../http/errors.ts';
import { resolveSamlIdp } from './inputs.ts';

const CERT = readFileSync(join(import.meta.dirname, '../../../fixtures/saml/keys/idp.cert.pem'), 'utf8');
const AT = { now: new Date(), skewSeconds: 60 };
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

const IDP = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.test"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`;

describe('SAML IdP settings from a metadata URL', () => {
  it('refuses a fetched metadata document that carries a DTD (an external subset or parameter entities)', async () => {
    for (const dtd of ['<!DOCTYPE md SYSTEM "https://attacker.example/md.dtd">', '<!DOCTYPE md [<!ENTITY % p SYSTEM "https://attacker.example/p.dtd"> %p;]>']) {
      const err = await resolveSamlIdp({ metadata_url: 'https://idp.example.test/metadata' }, async () => `${dtd}${IDP}`, AT).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 400, code: 'invalid_metadata', message: expect.stringMatching(/DTD/) });
    }
  });

  it('refuses a fetched metadata document whose SingleSignOnService Location is not a URL, naming the document', async () => {
    const body = CERT.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
    const xml = IDP.replace('https://idp.example.test/sso', 'https://bad host/sso').replace(
      '<md:SingleSignOnService',
      `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService`,
    );
    const err = await refusal(resolveSamlIdp({ metadata_url: 'https://idp.example.test/metadata' }, async () => xml, AT));
    expect(err).toMatchObject({ status: 400, code: 'invalid_metadata', message: expect.stringContaining("saml.metadata_url (the document at https://idp.example.test/metadata): the IdP SSO URL 'https://bad host/sso' is not a valid https URL") });
    expect(await resolveSamlIdp({ metadata_url: 'https://idp.example.test/metadata' }, async () => xml.replace('bad host', 'idp.example.test'), AT)).toMatchObject({ idp_sso_url: 'https://idp.example.test/sso' });
  });
});

describe('SAML IdP settings refused name the field that was wrong', () => {
  const noFetch = async () => '';
  const idp = { idp_entity_id: 'http://www.okta.com/exk1', idp_sso_url: 'https://acme.okta.com/app/sso/saml' };

  it('says which of several certificates could not be read', async () => {
    const err = await refusal(resolveSamlIdp({ ...idp, idp_certificates: [CERT, '-----BEGIN CERTIFICATE-----\nMIIBroken\n-----END CERTIFICATE-----'] }, noFetch, AT));
    expect(err).toMatchObject({ status: 400, code: 'invalid_certificate', message: expect.stringMatching(/^saml\.idp_certificates\[1\]: /) });
  });

  it('says which metadata was unusable: the XML given or the document at the URL', async () => {
    const html = '<html><body>Sign in to Okta</body></html>';
    expect(await refusal(resolveSamlIdp({ metadata_xml: html }, noFetch, AT))).toMatchObject({ code: 'invalid_metadata', message: expect.stringMatching(/^saml\.metadata_xml: /) });
    const fromUrl = await refusal(resolveSamlIdp({ metadata_url: 'https://acme.okta.com/app/exk1/sso/saml/metadata' }, async () => html, AT));
    expect(fromUrl).toMatchObject({ code: 'invalid_metadata', message: expect.stringContaining('saml.metadata_url (the document at https://acme.okta.com/app/exk1/sso/saml/metadata): ') });
  });

  it('lists the explicit IdP fields that are missing', async () => {
    const err = await refusal(resolveSamlIdp({ idp_entity_id: 'http://www.okta.com/exk1' }, noFetch, AT));
    expect(err).toMatchObject({ code: 'invalid_connection', message: expect.stringContaining('(missing: saml.idp_sso_url, saml.idp_certificates)') });
  });
});
