import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, encryptAssertion, signElement, type ResponseOptions } from '../../helpers/saml-idp.ts';

type AuthnRequest = ReturnType<typeof TestSamlIdp.readAuthnRequest>;

const ENCRYPTED_ATTRIBUTE =
  '<saml:EncryptedAttribute><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/><xenc:CipherData><xenc:CipherValue>c2VjcmV0IGRlcGFydG1lbnQ=</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAttribute>';

/** What an admin's SAML test login shows about signatures and attributes Portcullis refuses or cannot read. */
describe("a SAML connection's test login", () => {
  let env: SsoEnv;
  let tenant: { id: string };
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
  });
  afterAll(() => env?.close());

  const path = (conn: { id: string }) => `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`;
  const attributes = { email: 'ivy@acme.test', firstName: 'Ivy', lastName: 'Ives', displayName: 'Ivy Ives' };
  const answer = (req: AuthnRequest, o: Partial<ResponseOptions> = {}): ResponseOptions => ({ recipient: req.acs, audience: req.issuer, inResponseTo: req.id, nameId: 'ivy@acme.test', attributes, ...o });

  /** Runs a test login on `conn`, the IdP answering with `respond(req)` (base64). */
  async function testLogin(conn: { id: string }, respond: (req: AuthnRequest) => string): Promise<{ status: number; page: string; lastTest: any }> {
    const req = TestSamlIdp.readAuthnRequest((await env.ok('POST', `${path(conn)}/test-login`)).url);
    const res = await new Browser().request(req.acs, { form: { RelayState: req.relayState, SAMLResponse: respond(req) } });
    return { status: res.status, page: await res.text(), lastTest: (await env.ok('GET', path(conn))).last_test };
  }

  it('fails on a SHA-1 signature when the connection refuses it, showing the reason and what to change', async () => {
    const conn = await env.samlConnection(tenant.id, idp, { status: 'testing' });
    const { status, page, lastTest } = await testLogin(conn, (req) => idp.response(answer(req, { sha1: true })));
    expect(status).toBe(400);
    expect(page).toContain('saml_sha1_signature_refused');
    expect(page).toMatch(/switch the IdP app to sign with SHA-256, or set saml\.allow_sha1_signatures: true/);
    expect(lastTest).toMatchObject({ outcome: 'failed', reason: 'saml_sha1_signature_refused' });
    expect(env.audit(tenant.id, 'sso.connection.test_failed').at(-1)?.metadata).toMatchObject({ reason: 'saml_sha1_signature_refused', detail: lastTest.received.attributes.detail });
  });

  it('where SHA-1 is allowed, warns about it inside an encrypted assertion too (decrypted again to read its signature)', async () => {
    const conn = await env.samlConnection(tenant.id, idp, { status: 'testing', saml: { allow_sha1_signatures: true } });
    const { status, lastTest } = await testLogin(conn, (req) => {
      const assertion = encryptAssertion(signElement(idp.assertionXml(answer(req)), 'Assertion', idp.signer, 'Issuer', true), conn.saml.sp.certificate);
      return idp.response(answer(req, { assertionXml: assertion }));
    });
    expect(status).toBe(200);
    expect(lastTest.received.warnings).toEqual([expect.stringMatching(/^signature: the IdP signs with SHA-1/)]);
  });

  it('warns about an EncryptedAttribute in the signed assertion, which is not read, and shows the plain attributes', async () => {
    const conn = await env.samlConnection(tenant.id, idp, { status: 'testing' });
    const { status, page, lastTest } = await testLogin(conn, (req) => {
      const assertion = idp.assertionXml(answer(req)).replace('<saml:AttributeStatement>', `<saml:AttributeStatement>${ENCRYPTED_ATTRIBUTE}`);
      return idp.response(answer(req, { assertionXml: signElement(assertion, 'Assertion', idp.signer, 'Issuer') }));
    });
    expect(status).toBe(200);
    const warning = 'attributes: the assertion holds 1 EncryptedAttribute, which Portcullis cannot read (only plain Attributes are), so it is ignored: have the IdP send plain attributes and encrypt the whole assertion instead.';
    expect(lastTest.received.warnings).toEqual([warning]);
    expect(lastTest.received.mapped).toMatchObject({ email: 'ivy@acme.test', given_name: 'Ivy' });
    expect(page).toContain('EncryptedAttribute');
    expect(env.audit(tenant.id, 'sso.connection.test_succeeded').at(-1)?.metadata?.warnings).toEqual([warning]);
  });

  it('counts only encrypted attributes in the verified assertion, not ones put beside it in the unsigned envelope', async () => {
    const conn = await env.samlConnection(tenant.id, idp, { status: 'testing' });
    const { status, lastTest } = await testLogin(conn, (req) => {
      const xml = idp.responseXml(answer(req)).replace('<samlp:Status>', `<samlp:Extensions><saml:AttributeStatement>${ENCRYPTED_ATTRIBUTE}</saml:AttributeStatement></samlp:Extensions><samlp:Status>`);
      return Buffer.from(xml).toString('base64');
    });
    expect(status).toBe(200);
    expect(lastTest.received.warnings).toEqual([]);
  });
});
