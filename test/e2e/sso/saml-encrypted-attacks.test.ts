import { constants, createCipheriv, publicEncrypt, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo, signElement, type ResponseOptions } from '../../helpers/saml-idp.ts';
import { responseWrapping } from '../../helpers/xsw.ts';

type AuthnRequest = ReturnType<typeof TestSamlIdp.readAuthnRequest>;
type DataAlgorithm = 'aes256-gcm' | 'aes256-cbc' | 'tripledes-cbc';
type KeyTransport = 'rsa-oaep-mgf1p' | 'rsa-1_5';

const DATA_URI: Record<DataAlgorithm, string> = {
  'aes256-gcm': 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'aes256-cbc': 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  'tripledes-cbc': 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc',
};

/**
 * XML Encryption of `xml` for `certPem`, with node:crypto (not the library under test). Anyone
 * can do this: the SP certificate is public, so an attacker can encrypt whatever they like.
 * `mutate` alters the ciphertext (IV included) before it is written.
 */
function encrypt(xml: string, certPem: string, o: { data?: DataAlgorithm; transport?: KeyTransport; mutate?: (body: Buffer) => Buffer } = {}): string {
  const data = o.data ?? 'aes256-gcm';
  const [cipherName, keyLength, ivLength] = ({ 'aes256-gcm': ['aes-256-gcm', 32, 12], 'aes256-cbc': ['aes-256-cbc', 32, 16], 'tripledes-cbc': ['des-ede3-cbc', 24, 8] } as const)[data];
  const key = randomBytes(keyLength);
  const iv = randomBytes(ivLength);
  const cipher = createCipheriv(cipherName, key, iv);
  const parts: Buffer[] = [iv, cipher.update(xml, 'utf8'), cipher.final()];
  if (data === 'aes256-gcm') parts.push((cipher as ReturnType<typeof createCipheriv> & { getAuthTag(): Buffer }).getAuthTag());
  const body = (o.mutate ?? ((b) => b))(Buffer.concat(parts));
  const transport = o.transport ?? 'rsa-oaep-mgf1p';
  const wrapped = publicEncrypt({ key: certPem, padding: transport === 'rsa-1_5' ? constants.RSA_PKCS1_PADDING : constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key);
  return `<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="${DATA_URI[data]}"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#${transport}"/><xenc:CipherData><xenc:CipherValue>${wrapped.toString('base64')}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>${body.toString('base64')}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>`;
}

/**
 * Encrypted assertions give an attacker two things a plain one does not: the SP's envelope checks
 * cannot see inside the ciphertext, and the decryption itself can be probed (CBC padding oracles,
 * PKCS#1 v1.5 key transport). Each answer here is refused, generically for the person and with a
 * precise reason in the audit log, and never fails as an internal error.
 */
describe('encrypted SAML assertions under attack', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp();
  let acme: { id: string };
  let spCert = '';
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    spCert = (await env.samlConnection(acme.id, idp)).saml.sp.certificate;
    rp = await env.rp(await env.app(acme.id));
    env.provisionUser(acme.id, { userName: 'mallory@acme.test', email: 'mallory@acme.test', externalId: 'mallory@acme.test' });
    env.provisionUser(acme.id, { userName: 'admin@acme.test', email: 'admin@acme.test', externalId: 'admin@acme.test' });
  });
  afterAll(() => env?.close());

  /** Mallory, a real user of the tenant, with her own honestly signed assertion: the attacker's raw material. */
  const mallory = (req: AuthnRequest, o: Partial<ResponseOptions> = {}) => answerTo(req, 'mallory@acme.test', o);
  const signedAssertion = (req: AuthnRequest, o: Partial<ResponseOptions> = {}) => signElement(idp.assertionXml(mallory(req, o)), 'Assertion', idp.signer, 'Issuer');
  const evilAssertion = (req: AuthnRequest) => idp.assertionXml({ ...mallory(req), id: '_evil', nameId: 'admin@acme.test', attributes: { email: 'admin@acme.test' } });
  /** A response around `inner` (assertion XML, encrypted or not), its envelope unsigned unless asked. */
  const respond = (req: AuthnRequest, inner: string, signResponse = false) => Buffer.from(idp.responseXml({ ...mallory(req), assertionXml: inner, signResponse })).toString('base64');
  const sessions = () => env.sessionCount();
  const lastFailure = () => env.audit(acme.id, 'sso.login.failed').at(-1)?.metadata;

  async function signIn(samlResponse: (req: AuthnRequest) => string): Promise<string> {
    const browser = new Browser();
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    const req = TestSamlIdp.readAuthnRequest((await browser.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl))).url);
    const back = await browser.follow(req.acs, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: samlResponse(req), RelayState: req.relayState } });
    return back.url;
  }

  async function expectRefused(samlResponse: (req: AuthnRequest) => string, reason: string): Promise<void> {
    const before = { sessions: sessions(), succeeded: env.audit(acme.id, 'sso.login.succeeded').length };
    const landed = await signIn(samlResponse);
    expect(landed).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=access_denied/);
    expect(lastFailure()?.reason, String(lastFailure()?.detail)).toBe(reason);
    expect(sessions()).toBe(before.sessions);
    expect(env.audit(acme.id, 'sso.login.succeeded')).toHaveLength(before.succeeded);
    expect(env.logs.text).not.toMatch(/login failed unexpectedly/);
  }

  it('accepts a signed assertion encrypted with AES-256-CBC and RSA-OAEP (what Entra ID and Okta send)', async () => {
    expect(await signIn((req) => respond(req, encrypt(signedAssertion(req), spCert, { data: 'aes256-cbc' })))).toMatch(/\/callback\?code=/);
  });

  describe('weak or altered encryption', () => {
    it('refuses RSA PKCS#1 v1.5 key transport (a Bleichenbacher oracle) before decrypting', async () => {
      await expectRefused((req) => respond(req, encrypt(signedAssertion(req), spCert, { transport: 'rsa-1_5' })), 'saml_encryption_algorithm_refused');
      expect(lastFailure()?.detail).toMatch(/rsa-1_5/);
    });

    it('refuses triple-DES content encryption', async () => {
      await expectRefused((req) => respond(req, encrypt(signedAssertion(req), spCert, { data: 'tripledes-cbc' })), 'saml_encryption_algorithm_refused');
    });

    // CBC padding-oracle probes: whatever the altered block does to the padding, the answer is the same.
    const cbc = (mutate: (body: Buffer) => Buffer) => (req: AuthnRequest) => respond(req, encrypt(signedAssertion(req), spCert, { data: 'aes256-cbc', mutate }));

    it('refuses an AES-CBC ciphertext altered so that its padding is invalid', async () => {
      await expectRefused(
        cbc((body) => {
          const b = Buffer.from(body);
          b[b.length - 17] = (b[b.length - 17] as number) ^ 0xc5; // the last plaintext byte (the pad length) becomes > 16
          return b;
        }),
        'saml_decryption_failed',
      );
    });

    it('refuses an AES-CBC ciphertext altered so that its padding stays valid but the plaintext is garbage', async () => {
      await expectRefused(
        cbc((body) => {
          const b = Buffer.from(body);
          b[20] = (b[20] as number) ^ 0xff;
          return b;
        }),
        'saml_decryption_failed',
      );
    });

    it('refuses an AES-CBC ciphertext cut short of a whole block', async () => {
      await expectRefused(cbc((body) => body.subarray(0, body.length - 5)), 'saml_decryption_failed');
    });
  });

  describe('signatures and wrapping around or inside an EncryptedAssertion', () => {
    it('refuses a signed Response whose encrypted assertion is unsigned while assertions must be signed', async () => {
      await expectRefused((req) => respond(req, encrypt(evilAssertion(req), spCert), true), 'saml_signature_invalid');
    });

    it('refuses two EncryptedAssertions', async () => {
      await expectRefused((req) => respond(req, `${encrypt(signedAssertion(req), spCert)}${encrypt(signedAssertion(req), spCert)}`), 'saml_multiple_assertions');
    });

    it('refuses an EncryptedAssertion beside a plain signed Assertion', async () => {
      await expectRefused((req) => respond(req, `${signedAssertion(req)}${encrypt(evilAssertion(req), spCert)}`), 'saml_multiple_assertions');
    });

    it('refuses XSW1 around a signed Response that carries an EncryptedAssertion', async () => {
      await expectRefused((req) => {
        const signed = idp.responseXml({ ...mallory(req), assertionXml: encrypt(signedAssertion(req), spCert), signResponse: true });
        return Buffer.from(responseWrapping(1, signed, encrypt(evilAssertion(req), spCert))).toString('base64');
      }, 'saml_multiple_assertions');
    });

    it("refuses a wrapped assertion hidden inside the ciphertext (the attacker's assertion around Mallory's signed one)", async () => {
      await expectRefused((req) => respond(req, encrypt(evilAssertion(req).replace('</saml:Assertion>', `${signedAssertion(req)}</saml:Assertion>`), spCert)), 'saml_signature_invalid');
    });

    it("refuses an encrypted assertion whose signature moved to the attacker's assertion (XSW5 inside the ciphertext)", async () => {
      await expectRefused((req) => {
        const signed = signedAssertion(req);
        const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)![0];
        const evil = evilAssertion(req).replace(/(<saml:Issuer>[^<]*<\/saml:Issuer>)/, `$1${signature}`);
        return respond(req, encrypt(evil, spCert));
      }, 'saml_signature_invalid');
    });

    it('refuses an encrypted assertion whose signature references another ID', async () => {
      await expectRefused((req) => respond(req, encrypt(signedAssertion(req, { id: '_signed_id' }).replace('ID="_signed_id"', 'ID="_other_id"'), spCert)), 'saml_signature_invalid');
    });

    it('never reads a NameID truncated by a comment hidden inside the ciphertext (the full signed value is used)', async () => {
      await expectRefused((req) => {
        const signed = signedAssertion(req, { nameId: 'admin@acme.test.evil.example', attributes: {} });
        return respond(req, encrypt(signed.replace('admin@acme.test.evil.example</saml:NameID>', 'admin@acme.test<!---->.evil.example</saml:NameID>'), spCert));
      }, 'user_not_provisioned');
      expect(lastFailure()?.detail).toMatch(/'admin@acme\.test\.evil\.example'/);
    });

    // The envelope screening cannot see a DTD inside the ciphertext; the parser that reads the
    // plaintext (xmldom) never resolves or expands entities and refuses to use them.
    it('refuses entities declared inside the ciphertext without expanding them', async () => {
      const lol = '<!DOCTYPE a [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>';
      await expectRefused((req) => respond(req, encrypt(`${lol}${signedAssertion(req, { attributes: { email: '&b;' } }).replace('&amp;b;', '&b;')}`, spCert)), 'saml_decryption_failed');
      expect(lastFailure()?.detail).toMatch(/entity/);
    });
  });
});
