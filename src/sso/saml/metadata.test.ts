import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIdpMetadata } from './metadata.ts';

const fixture = (p: string) => readFileSync(join(import.meta.dirname, '../../../fixtures/saml', p), 'utf8');

describe('IdP metadata import', () => {
  it("reads Okta's metadata: entity id, redirect-binding SSO URL, signing certificate", () => {
    const m = parseIdpMetadata(fixture('okta/metadata.xml'));
    expect(m.entity_id).toBe('http://www.okta.com/exk8f2portcullis0h7');
    expect(m.sso_url).toMatch(/^https:\/\/portcullis-test\.okta\.com\/app\/.*\/sso\/saml$/);
    expect(m.certificates).toHaveLength(1);
    expect(m.certificates[0]?.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it("reads Entra ID's federation metadata (default namespaces, WS-Fed role ignored, two certificates)", () => {
    const m = parseIdpMetadata(fixture('entra/metadata.xml'));
    expect(m.entity_id).toBe('https://sts.windows.net/9b1c6f0e-2d3a-4c5b-8e7f-0a1b2c3d4e5f/');
    expect(m.sso_url).toBe('https://login.microsoftonline.com/9b1c6f0e-2d3a-4c5b-8e7f-0a1b2c3d4e5f/saml2');
    expect(m.certificates).toHaveLength(2);
  });

  it('refuses DTDs, non-metadata documents and metadata without a signing certificate', () => {
    expect(() => parseIdpMetadata('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')).toThrow(/DTD/);
    expect(() => parseIdpMetadata('<html/>')).toThrow(/IDPSSODescriptor/);
    const noCert = fixture('okta/metadata.xml').replace(/<md:KeyDescriptor[\s\S]*<\/md:KeyDescriptor>/, '');
    expect(() => parseIdpMetadata(noCert)).toThrow(/no signing certificate/);
    const httpSso = fixture('okta/metadata.xml').replaceAll('https://portcullis-test.okta.com', 'http://portcullis-test.okta.com');
    expect(() => parseIdpMetadata(httpSso)).toThrow(/HTTPS/);
  });
});
