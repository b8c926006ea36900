import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { Harness } from '../../../test/helpers/harness.ts';
import { TestSamlIdp, encryptAssertion, signElement, testKey } from '../../../test/helpers/saml-idp.ts';
import { systemActor } from '../../audit/events.ts';
import type { Connection } from '../connections/connection.ts';
import { validateSamlResponse } from './acs.ts';
import { samlContext, type SamlContext } from './service-provider.ts';

/**
 * Every placement of signatures against every `want_*` setting, on a connection that refuses
 * SHA-1: the response is refused as SHA-1 exactly when a signature node-saml verified and relied
 * on uses SHA-1 (the Response's when it verifies; the assertion's when node-saml checks it, which
 * is when the connection wants it or the Response's did not verify), and otherwise has the
 * outcome node-saml gives it. The oracle is written from node-saml 5.1's `validatePostResponseAsync`.
 */
type Sig = 'none' | 'sha256' | 'sha1' | 'decoy256' | 'decoy1';
const SIGS: Sig[] = ['none', 'sha256', 'sha1', 'decoy256', 'decoy1'];

describe('SHA-1 refusal over every signature placement', () => {
  const h = new Harness();
  const idp = new TestSamlIdp();
  let connection: Connection;
  const contexts = new Map<string, SamlContext>();

  beforeAll(async () => {
    const tenant = await h.createTenant('Acme', 'acme');
    connection = await h.services.sso.connections.create(tenant.id, { name: 'Okta', protocol: 'saml', status: 'active', saml: { metadata_xml: idp.metadataXml() } }, systemActor());
  });
  afterAll(() => h.close());

  const ctxFor = (wantAssertion: boolean, wantResponse: boolean): SamlContext => {
    const key = `${wantAssertion}/${wantResponse}`;
    let ctx = contexts.get(key);
    if (!ctx) {
      const c = { ...connection, saml: { ...connection.saml!, want_assertions_signed: wantAssertion, want_response_signed: wantResponse, allow_sha1_signatures: false } };
      ctx = samlContext(c, h.services.config.baseUrl, h.services.sso.box);
      contexts.set(key, ctx);
    }
    return ctx;
  };

  const sign = (xml: string, element: string, s: Sig) => {
    if (s === 'none') return xml;
    const signer = s.startsWith('decoy') ? testKey('attacker') : idp.signer;
    return signElement(xml, element, signer, 'Issuer', s.endsWith('1'));
  };

  const build = (ctx: SamlContext, r: Sig, a: Sig, encrypted: boolean) => {
    const o = { recipient: ctx.sp.acs_url, audience: ctx.sp.entity_id, nameId: 'ada@acme.test' };
    let assertion = sign(idp.assertionXml(o), 'Assertion', a);
    if (encrypted) assertion = encryptAssertion(assertion, ctx.connection.saml.sp_certificate);
    return Buffer.from(sign(idp.responseXml({ ...o, assertionXml: assertion }), 'Response', r)).toString('base64');
  };

  const expected = (r: Sig, a: Sig, wantA: boolean, wantR: boolean): string => {
    const rValid = r === 'sha256' || r === 'sha1';
    if (wantR && !rValid) return 'saml_signature_invalid';
    const aChecked = wantA || !rValid;
    if (aChecked && !(a === 'sha256' || a === 'sha1')) return 'saml_signature_invalid';
    if ((rValid && r === 'sha1') || (aChecked && a === 'sha1')) return 'saml_sha1_signature_refused';
    return 'ok';
  };

  const cases: [Sig, Sig, boolean, boolean, boolean][] = [];
  for (const r of SIGS) for (const a of SIGS) for (const enc of [false, true]) for (const wantA of [true, false]) for (const wantR of [false, true]) cases.push([r, a, enc, wantA, wantR]);

  it.each(cases)('Response %s, assertion %s, encrypted %s, want_assertions_signed %s, want_response_signed %s', async (r, a, enc, wantA, wantR) => {
    const ctx = ctxFor(wantA, wantR);
    const outcome = await validateSamlResponse(ctx, build(ctx, r, a, enc), null).then(
      () => 'ok',
      (err: { reason?: string }) => err.reason ?? String(err),
    );
    expect(outcome).toBe(expected(r, a, wantA, wantR));
  });
});

describe('SHA-1 refusal: one algorithm of the two, and a second IdP certificate', () => {
  const h = new Harness();
  const idp = new TestSamlIdp();
  const next = testKey('idp-next');
  let ctx: SamlContext;

  beforeAll(async () => {
    const tenant = await h.createTenant('Acme', 'acme');
    const c = await h.services.sso.connections.create(
      tenant.id,
      { name: 'Okta', protocol: 'saml', status: 'active', saml: { metadata_xml: idp.metadataXml([idp.signer.cert, next.cert]) } },
      systemActor(),
    );
    ctx = samlContext(c, h.services.config.baseUrl, h.services.sso.box);
  });
  afterAll(() => h.close());

  const signWith = (xml: string, signer: { key: string; cert: string }, signatureAlgorithm: string, digestAlgorithm: string, prefix = 'ds') => {
    const sig = new SignedXml({ privateKey: signer.key, publicCert: signer.cert, signatureAlgorithm, canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
    const target = "/*/*[local-name(.)='Assertion']";
    sig.addReference({ xpath: target, digestAlgorithm, transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'] });
    sig.computeSignature(xml, { prefix, location: { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' } });
    return sig.getSignedXml();
  };
  const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
  const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
  const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
  const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
  const response = (signer: { key: string; cert: string }, method: string, digest: string, prefix = 'ds') => {
    const o = { recipient: ctx.sp.acs_url, audience: ctx.sp.entity_id, nameId: 'ada@acme.test' };
    const xml = idp.responseXml({ ...o, assertionXml: idp.assertionXml(o) });
    return Buffer.from(signWith(xml, signer, method, digest, prefix)).toString('base64');
  };
  const outcome = (b64: string) => validateSamlResponse(ctx, b64, null).then(() => 'ok', (err: { reason?: string }) => err.reason);

  it('refuses SHA-1 only in the DigestMethod', async () => {
    expect(await outcome(response(idp.signer, RSA_SHA256, SHA1))).toBe('saml_sha1_signature_refused');
  });

  it('refuses RSA-SHA1 over a SHA-256 digest', async () => {
    expect(await outcome(response(idp.signer, RSA_SHA1, SHA256))).toBe('saml_sha1_signature_refused');
  });

  it('refuses SHA-1 by the second (rotated-in) IdP certificate, and accepts SHA-256 by either', async () => {
    expect(await outcome(response(next, RSA_SHA1, SHA1))).toBe('saml_sha1_signature_refused');
    expect(await outcome(response(next, RSA_SHA256, SHA256))).toBe('ok');
    expect(await outcome(response(idp.signer, RSA_SHA256, SHA256))).toBe('ok');
  });

  it('reads a signature in the default namespace (as Entra ID writes it) like a prefixed one', async () => {
    expect(await outcome(response(idp.signer, RSA_SHA1, SHA1, ''))).toBe('saml_sha1_signature_refused');
    expect(await outcome(response(idp.signer, RSA_SHA256, SHA256, ''))).toBe('ok');
  });
});
