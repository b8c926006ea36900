import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { Harness } from '../../helpers/harness.ts';
import { TestSamlIdp, signElement, type AssertionOptions, type ResponseOptions } from '../../helpers/saml-idp.ts';
import { systemActor } from '../../../src/audit/events.ts';
import { validateSamlResponse } from '../../../src/sso/saml/acs.ts';
import { samlContext, type SamlContext } from '../../../src/sso/saml/service-provider.ts';

/**
 * Attacks from a SAML penetration-test checklist beyond the XSW/comment/XXE suite in
 * test/e2e/sso/saml-attacks.test.ts, run against the ACS validation directly: each is refused
 * with its reason, or (for markup that canonicalization erases) read as the full signed value.
 */
describe('SAML checklist attacks on the ACS validation', () => {
  const h = new Harness();
  const idp = new TestSamlIdp();
  let ctx: SamlContext;
  const REQ = '_req_checklist';

  beforeAll(async () => {
    const tenant = await h.createTenant('Acme', 'acme');
    const c = await h.services.sso.connections.create(tenant.id, { name: 'Okta', protocol: 'saml', status: 'active', saml: { metadata_xml: idp.metadataXml() } }, systemActor());
    ctx = samlContext(c, h.services.config.baseUrl, h.services.sso.box);
  });
  afterAll(() => h.close());

  const opts = (o: Partial<ResponseOptions> = {}): ResponseOptions => ({ recipient: ctx.sp.acs_url, audience: ctx.sp.entity_id, inResponseTo: REQ, nameId: 'ada@acme.test', ...o });
  const signedAssertion = (o: Partial<AssertionOptions> = {}) => signElement(idp.assertionXml(opts(o)), 'Assertion', idp.signer, 'Issuer');
  const response = (assertion: string, o: Partial<ResponseOptions> = {}) => idp.responseXml(opts({ ...o, assertionXml: assertion }));
  const b64 = (xml: string) => Buffer.from(xml).toString('base64');
  const refused = (xml: string, reason: string) => expect(validateSamlResponse(ctx, b64(xml), REQ)).rejects.toMatchObject({ reason });

  it('accepts the legitimate response the attacks start from', async () => {
    expect((await validateSamlResponse(ctx, b64(response(signedAssertion())), REQ)).nameId).toBe('ada@acme.test');
  });

  describe('signature references', () => {
    const legit = () => response(signedAssertion({ id: '_signed' }));

    it('refuses a second element carrying the signed ID as Id, id or a namespaced ID', async () => {
      await refused(legit().replace('<samlp:Response ', '<samlp:Response Id="_signed" '), 'saml_signature_invalid');
      await refused(legit().replace('<samlp:Status>', '<samlp:Status id="_signed">'), 'saml_signature_invalid');
      await refused(legit().replace('<saml:Issuer>', '<saml:Issuer xmlns:q="urn:q" q:ID="_signed">'), 'saml_signature_invalid');
    });

    it('refuses a Reference with an empty URI (the whole document)', async () => {
      await refused(legit().replace('URI="#_signed"', 'URI=""'), 'saml_signature_invalid');
    });

    it("refuses an assertion's signature whose Reference points at the unsigned Response", async () => {
      await refused(legit().replace('URI="#_signed"', 'URI="#_resp"').replace(/(<samlp:Response [^>]*)ID="[^"]+"/, '$1ID="_resp"'), 'saml_signature_invalid');
    });

    it('refuses an added XPath transform and an HMAC signature method (the public certificate as HMAC key)', async () => {
      await refused(legit().replace('<ds:Transforms>', '<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>1</ds:XPath></ds:Transform>'), 'saml_signature_invalid');
      await refused(legit().replace(/<ds:SignatureMethod Algorithm="[^"]+"/, '<ds:SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1"'), 'saml_signature_invalid');
    });

    it('refuses an RSA-SHA256 signature over a SHA-1 digest as SHA-1', async () => {
      const sig = new SignedXml({ privateKey: idp.signer.key, publicCert: idp.signer.cert, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
      sig.addReference({ xpath: "/*[local-name(.)='Assertion']", digestAlgorithm: 'http://www.w3.org/2000/09/xmldsig#sha1', transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'] });
      sig.computeSignature(idp.assertionXml(opts()), { prefix: 'ds', location: { reference: "/*/*[local-name(.)='Issuer']", action: 'after' } });
      await refused(response(sig.getSignedXml()), 'saml_sha1_signature_refused');
    });
  });

  describe('markup that canonicalization erases inside a signed value', () => {
    // The IdP signed "admin@acme.test.evil.example"; each variant keeps the digest and must never read as admin@acme.test.
    const variants = {
      'a processing instruction': 'admin@acme.test<?x .evil.example?>',
      'a CDATA section': 'admin@acme.test<![CDATA[.evil.example]]>',
      'a character reference': 'admin&#64;acme.test.evil.example',
    };
    for (const [what, injected] of Object.entries(variants)) {
      it(`reads a NameID split by ${what} as the full signed value`, async () => {
        const xml = response(signedAssertion({ nameId: 'admin@acme.test.evil.example' })).replace('admin@acme.test.evil.example</saml:NameID>', `${injected}</saml:NameID>`);
        expect((await validateSamlResponse(ctx, b64(xml), REQ)).nameId).toBe('admin@acme.test.evil.example');
      });
    }
  });

  describe('namespaces', () => {
    it('refuses a Response or a Status in a look-alike namespace', async () => {
      const xml = response(signedAssertion());
      await refused(xml.replace('xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"', 'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol:x"'), 'saml_malformed');
      await refused(xml.replace('<samlp:Status>', '<samlp:Status xmlns:samlp="urn:x">'), 'saml_malformed');
    });

    it('refuses a signed assertion whose Conditions are in a look-alike namespace (read by local name, they would count)', async () => {
      const assertion = idp.assertionXml(opts()).replace('<saml:Conditions', '<c:Conditions xmlns:c="urn:oasis:names:tc:SAML:2.0:assertion:x"').replace('</saml:Conditions>', '</c:Conditions>');
      await refused(response(signElement(assertion, 'Assertion', idp.signer, 'Issuer')), 'saml_conditions_missing');
    });

    it('accepts the assertion namespace as the default namespace (as AD FS writes it)', async () => {
      const assertion = idp.assertionXml(opts()).replace(/<saml:/g, '<').replace(/<\/saml:/g, '</').replace('xmlns:saml=', 'xmlns=');
      expect((await validateSamlResponse(ctx, b64(response(signElement(assertion, 'Assertion', idp.signer, 'Issuer'))), REQ)).nameId).toBe('ada@acme.test');
    });
  });

  describe('addresses are compared exactly', () => {
    it('refuses an Audience with a trailing slash, surrounding space or another case, and a second AudienceRestriction without ours', async () => {
      for (const audience of [`${ctx.sp.entity_id}/`, ` ${ctx.sp.entity_id}`, ctx.sp.entity_id.toUpperCase()]) await refused(response(signedAssertion({ audience })), 'saml_audience_mismatch');
      const second = '</saml:AudienceRestriction><saml:AudienceRestriction><saml:Audience>https://other-sp.example</saml:Audience></saml:AudienceRestriction>';
      await refused(response(signElement(idp.assertionXml(opts()).replace('</saml:AudienceRestriction>', second), 'Assertion', idp.signer, 'Issuer')), 'saml_audience_mismatch');
    });

    it('refuses a Destination or Recipient with a trailing slash, a leading space or a percent-encoded path', async () => {
      for (const destination of [`${ctx.sp.acs_url}/`, ` ${ctx.sp.acs_url}`, ctx.sp.acs_url.replace(/acs$/, '%61cs')]) await refused(response(signedAssertion(), { destination }), 'saml_destination_mismatch');
      await refused(response(signedAssertion({ recipient: `${ctx.sp.acs_url}/` }), { destination: ctx.sp.acs_url }), 'saml_recipient_mismatch');
    });
  });

  it('refuses a SAMLResponse in the URL-safe base64 alphabet', async () => {
    let raw = b64(response(signedAssertion()));
    while (!/[+/]/.test(raw)) raw = b64(response(signedAssertion()));
    await expect(validateSamlResponse(ctx, raw.replace(/\+/g, '-').replace(/\//g, '_'), REQ)).rejects.toMatchObject({ reason: 'saml_malformed' });
  });
});
