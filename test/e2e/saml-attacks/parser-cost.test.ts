import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SAML } from '@node-saml/node-saml';
import { Harness } from '../../helpers/harness.ts';
import { TestSamlIdp, encryptAssertion, signElement, testKey, type ResponseOptions } from '../../helpers/saml-idp.ts';
import { systemActor } from '../../../src/audit/events.ts';
import { validateSamlResponse } from '../../../src/sso/saml/acs.ts';
import { buildSaml, samlContext, type SamlContext } from '../../../src/sso/saml/service-provider.ts';

/**
 * The verifier's XPath lookups (node-saml's `//*[@ID=…]`, xml-crypto's reference lookup, once per
 * trusted certificate) cost time quadratic in the number of sibling nodes: a response of a few
 * hundred KiB made of empty elements held the event loop for over a minute, before any signature
 * was checked (no trusted key needed). The ACS refuses such documents before the verifier sees them.
 */
describe('SAML responses shaped to make the verifier slow', () => {
  const h = new Harness();
  const idp = new TestSamlIdp();
  let ctx: SamlContext;

  beforeAll(async () => {
    const tenant = await h.createTenant('Acme', 'acme');
    const c = await h.services.sso.connections.create(tenant.id, { name: 'Okta', protocol: 'saml', status: 'active', saml: { metadata_xml: idp.metadataXml() } }, systemActor());
    ctx = samlContext(c, h.services.config.baseUrl, h.services.sso.box);
  });
  afterAll(() => h.close());

  const legit = (o: Partial<ResponseOptions> = {}): ResponseOptions => ({ recipient: ctx.sp.acs_url, audience: ctx.sp.entity_id, inResponseTo: '_req', nameId: 'ada@acme.test', ...o });
  const b64 = (xml: string) => Buffer.from(xml).toString('base64');
  const padded = (xml: string, filler: string) => xml.replace('<samlp:Status>', `<samlp:Extensions>${filler}</samlp:Extensions><samlp:Status>`);

  async function refusedBeforeVerifier(raw: string) {
    const verifier = vi.spyOn(buildSaml(ctx), 'validatePostResponseAsync');
    try {
      await expect(validateSamlResponse(ctx, raw, '_req')).rejects.toMatchObject({ reason: 'saml_response_too_large' });
      expect(verifier).not.toHaveBeenCalled();
    } finally {
      verifier.mockRestore();
    }
  }

  it('still accepts a signed response carrying 1,500 groups', async () => {
    const groups = Array.from({ length: 1500 }, (_, i) => `group-${i}`);
    const verified = await validateSamlResponse(ctx, idp.response(legit({ attributes: { groups } })), '_req');
    expect(verified.attributes.groups).toHaveLength(1500);
  });

  it('refuses a response padded with 20,000 empty sibling elements, before the verifier runs', async () => {
    await refusedBeforeVerifier(b64(padded(idp.responseXml(legit()), '<e/>'.repeat(20_000))));
  });

  it('refuses the padding inside an encrypted assertion (which anyone can encrypt to the SP certificate), before the verifier runs', async () => {
    const assertion = idp.assertionXml(legit()).replace('<saml:AttributeStatement>', `<saml:Advice>${'<e/>'.repeat(20_000)}</saml:Advice><saml:AttributeStatement>`);
    const signed = signElement(assertion, 'Assertion', testKey('attacker'), 'Issuer');
    await refusedBeforeVerifier(b64(idp.responseXml(legit({ assertionXml: encryptAssertion(signed, ctx.connection.saml.sp_certificate) }))));
  });
});
