import { readFileSync } from 'node:fs';
import { createCipheriv, publicEncrypt, randomBytes, constants } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { SignedXml } from 'xml-crypto';

/**
 * A test SAML 2.0 IdP that builds real responses and signs them with `xml-crypto` (exclusive
 * c14n, RSA-SHA256, enveloped signatures), and encrypts assertions with node:crypto
 * (AES-256-GCM + RSA-OAEP) — not with the code under test (node-saml).
 */
const KEYS = join(import.meta.dirname, '../../fixtures/saml/keys');
export const testKey = (name: 'idp' | 'idp-next' | 'attacker') => ({
  key: readFileSync(join(KEYS, `${name}.key.pem`), 'utf8'),
  cert: readFileSync(join(KEYS, `${name}.cert.pem`), 'utf8'),
});
export const certBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

export interface AssertionOptions {
  id?: string;
  issuer?: string;
  nameId: string;
  nameIdFormat?: string;
  audience?: string | null;
  recipient?: string;
  inResponseTo?: string | null;
  notBefore?: Date;
  notOnOrAfter?: Date;
  conditions?: boolean;
  attributes?: Record<string, string | string[]>;
  sessionIndex?: string;
  authnContext?: string;
  /** SubjectConfirmationData NotOnOrAfter (default: the Conditions' NotOnOrAfter). */
  subjectNotOnOrAfter?: Date;
  /** SubjectConfirmationData NotBefore (the profile forbids it; default: none). */
  subjectNotBefore?: Date;
  /** false: no AuthnStatement (an assertion of attributes only). */
  authnStatement?: boolean;
  sessionNotOnOrAfter?: Date;
  /** The AuthnStatement's AuthnInstant: when the person authenticated (default: now). */
  authnInstant?: Date;
}

export interface ResponseOptions extends AssertionOptions {
  responseId?: string;
  destination?: string | null;
  responseInResponseTo?: string | null;
  signAssertion?: boolean;
  signResponse?: boolean;
  /** Sign with RSA-SHA1 and SHA-1 digests (old IdP configurations) instead of SHA-256. */
  sha1?: boolean;
  signer?: { key: string; cert: string };
  encryptFor?: string;
  /** Replace the assertion XML before signing the response (attack construction); '' for none. */
  assertionXml?: string;
  /** The Response's Issuer (default: the assertion's issuer). */
  responseIssuer?: string;
  /** A status other than Success: top-level code, second-level code and message (local names, e.g. Responder, NoPassive). */
  status?: { code: string; subCode?: string; message?: string };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const ns = 'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"';

export class TestSamlIdp {
  readonly signer: { key: string; cert: string };

  constructor(
    readonly entityId = 'http://www.okta.com/exk1testidp',
    readonly ssoUrl = 'https://idp.portcullis.test/app/sso/saml',
    signer = testKey('idp'),
  ) {
    this.signer = signer;
  }

  metadataXml(certs: string[] = [this.signer.cert]): string {
    const keys = certs
      .map((c) => `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certBody(c)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`)
      .join('');
    return `<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${esc(this.entityId)}"><md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${keys}<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(this.ssoUrl)}"/><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(this.ssoUrl)}"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
  }

  /** Reads the AuthnRequest our SP sent (HTTP-Redirect binding): its ID, ACS URL and issuer. */
  static readAuthnRequest(url: string): { id: string; acs: string; issuer: string; relayState: string; forceAuthn: boolean } {
    const u = new URL(url);
    const xml = inflateRawSync(Buffer.from(u.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    const attr = (name: string) => new RegExp(`${name}="([^"]+)"`).exec(xml)?.[1] ?? '';
    const issuer = /<saml:Issuer[^>]*>([^<]+)<\/saml:Issuer>/.exec(xml)?.[1] ?? '';
    // ForceAuthn is an xs:boolean: "true" or "1" ask the IdP to authenticate the person again.
    const forceAuthn = ['true', '1'].includes(/\sForceAuthn="([^"]+)"/.exec(xml)?.[1] ?? '');
    return { id: attr('ID'), acs: attr('AssertionConsumerServiceURL'), issuer, relayState: u.searchParams.get('RelayState') ?? '', forceAuthn };
  }

  assertionXml(o: AssertionOptions): string {
    const now = new Date();
    const notBefore = o.notBefore ?? new Date(now.getTime() - 60_000);
    const notOnOrAfter = o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000);
    const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
    const attributes = Object.entries(o.attributes ?? {})
      .map(([name, v]) => `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">${(Array.isArray(v) ? v : [v]).map((x) => `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${esc(x)}</saml:AttributeValue>`).join('')}</saml:Attribute>`)
      .join('');
    const audience = o.audience === null ? '' : `<saml:AudienceRestriction><saml:Audience>${esc(o.audience ?? '')}</saml:Audience></saml:AudienceRestriction>`;
    const subject = `${o.subjectNotBefore ? ` NotBefore="${iso(o.subjectNotBefore)}"` : ''} NotOnOrAfter="${iso(o.subjectNotOnOrAfter ?? notOnOrAfter)}"`;
    const session = o.sessionNotOnOrAfter ? ` SessionNotOnOrAfter="${iso(o.sessionNotOnOrAfter)}"` : '';
    const authn = o.authnStatement === false ? '' : `<saml:AuthnStatement AuthnInstant="${iso(o.authnInstant ?? now)}" SessionIndex="${esc(o.sessionIndex ?? '_s1')}"${session}><saml:AuthnContext><saml:AuthnContextClassRef>${esc(o.authnContext ?? 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport')}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`;
    const conditions = o.conditions === false ? '' : `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}">${audience}</saml:Conditions>`;
    return `<saml:Assertion ${ns} ID="${esc(o.id ?? `_a${randomBytes(12).toString('hex')}`)}" IssueInstant="${iso(now)}" Version="2.0"><saml:Issuer>${esc(o.issuer ?? this.entityId)}</saml:Issuer><saml:Subject><saml:NameID Format="${esc(o.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress')}">${esc(o.nameId)}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${subject} Recipient="${esc(o.recipient ?? '')}"${irt}/></saml:SubjectConfirmation></saml:Subject>${conditions}${authn}<saml:AttributeStatement>${attributes}</saml:AttributeStatement></saml:Assertion>`;
  }

  /** A complete samlp:Response, signed as asked. Returns the XML. */
  responseXml(o: ResponseOptions): string {
    const signer = o.signer ?? this.signer;
    let assertion = o.assertionXml ?? this.assertionXml(o);
    if (o.signAssertion !== false && o.assertionXml === undefined) assertion = signElement(assertion, 'Assertion', signer, 'Issuer', o.sha1);
    if (o.encryptFor) assertion = encryptAssertion(assertion, o.encryptFor);
    const irt = o.responseInResponseTo === undefined ? o.inResponseTo : o.responseInResponseTo;
    const destination = o.destination === null ? '' : ` Destination="${esc(o.destination ?? o.recipient ?? '')}"`;
    const st = o.status;
    const status = st
      ? `<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:${st.code}">${st.subCode ? `<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:${st.subCode}"/>` : ''}</samlp:StatusCode>${st.message ? `<samlp:StatusMessage>${esc(st.message)}</samlp:StatusMessage>` : ''}`
      : '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>';
    const response = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ${ns} ID="${esc(o.responseId ?? `_r${randomBytes(12).toString('hex')}`)}" Version="2.0" IssueInstant="${iso(new Date())}"${destination}${irt ? ` InResponseTo="${esc(irt)}"` : ''}><saml:Issuer>${esc(o.responseIssuer ?? o.issuer ?? this.entityId)}</saml:Issuer><samlp:Status>${status}</samlp:Status>${assertion}</samlp:Response>`;
    return o.signResponse ? signElement(response, 'Response', signer, 'Issuer', o.sha1) : response;
  }

  response(o: ResponseOptions): string {
    return Buffer.from(this.responseXml(o)).toString('base64');
  }
}

/**
 * An honest IdP's answer to the AuthnRequest `req` for the user `nameId` (also sent as the
 * email attribute), as response options for tests to alter.
 */
export function answerTo(req: { acs: string; issuer: string; id: string }, nameId: string, o: Partial<ResponseOptions> = {}): ResponseOptions {
  return { recipient: req.acs, audience: req.issuer, inResponseTo: req.id, nameId, attributes: { email: nameId }, ...o };
}

/** Signs the first element named `localName` (enveloped, placed after its `afterChild`). */
export function signElement(xml: string, localName: string, signer: { key: string; cert: string }, afterChild: string, sha1 = false): string {
  const sig = new SignedXml({
    privateKey: signer.key,
    publicCert: signer.cert,
    signatureAlgorithm: sha1 ? 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' : 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  const target = `/*[local-name(.)='${localName}'] | /*/*[local-name(.)='${localName}']`;
  sig.addReference({
    xpath: `(${target})[1]`,
    digestAlgorithm: sha1 ? 'http://www.w3.org/2000/09/xmldsig#sha1' : 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `(${target})[1]/*[local-name(.)='${afterChild}']`, action: 'after' },
  });
  return sig.getSignedXml();
}

/** XML Encryption of an assertion for the SP's certificate: AES-256-GCM content key wrapped with RSA-OAEP. */
export function encryptAssertion(assertionXml: string, spCertPem: string): string {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([iv, cipher.update(assertionXml, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const wrapped = publicEncrypt({ key: spCertPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key);
  return `<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>${wrapped.toString('base64')}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>${body.toString('base64')}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>`;
}
