import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo, encryptAssertion, signElement, type ResponseOptions } from '../../helpers/saml-idp.ts';

type AuthnRequest = ReturnType<typeof TestSamlIdp.readAuthnRequest>;
const minutes = (n: number) => new Date(Date.now() + n * 60_000);

/**
 * What the SAML 2.0 Web Browser SSO Profile (saml-profiles-2.0-os §4.1.4.2) requires of a
 * response beyond a valid signature and Conditions, and node-saml leaves to the SP: the bearer
 * confirmation's own delivery window, an AuthnStatement, the IdP's status, the Response's
 * Issuer, and the IdP's session bound. Each refusal is audited with its precise reason.
 */
describe('SAML responses checked against the Web Browser SSO Profile', () => {
  let env: SsoEnv;
  let idp: TestSamlIdp;
  let tenant: { id: string };
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    idp = new TestSamlIdp();
    await env.samlConnection(tenant.id, idp);
    rp = await env.rp(await env.app(tenant.id));
    env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
  });
  afterAll(() => env?.close());

  const legit = (req: AuthnRequest, o: Partial<ResponseOptions> = {}) => answerTo(req, 'ada@acme.test', o);
  const lastFailure = () => env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata;
  const signIn = (respond: (req: AuthnRequest) => Partial<ResponseOptions> & { raw?: string }) =>
    env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, respond);

  async function expectRefused(respond: (req: AuthnRequest) => Partial<ResponseOptions> & { raw?: string }, reason: string) {
    const before = { sessions: env.sessionCount(), succeeded: env.audit(tenant.id, 'sso.login.succeeded').length };
    const flow = await signIn(respond);
    expect(flow.landed).toMatch(/\/callback\?error=access_denied/);
    expect(lastFailure()?.reason).toBe(reason);
    expect(env.sessionCount()).toBe(before.sessions);
    expect(env.audit(tenant.id, 'sso.login.succeeded')).toHaveLength(before.succeeded);
  }

  it('signs in with a conforming response whose Response and assertion Issuers are the IdP, in the entity format', async () => {
    const entity = '<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">';
    const flow = await signIn((req) => {
      const assertion = signElement(idp.assertionXml(legit(req)).replace('<saml:Issuer>', entity), 'Assertion', idp.signer, 'Issuer');
      const response = idp.responseXml(legit(req, { assertionXml: assertion })).replace('<saml:Issuer>', entity);
      return { raw: Buffer.from(signElement(response, 'Response', idp.signer, 'Issuer')).toString('base64') };
    });
    expect(flow.landed).toMatch(/\/callback\?code=/);
  });

  it('refuses an assertion whose bearer confirmation window has passed, though its Conditions are still valid', async () => {
    await expectRefused((req) => legit(req, { subjectNotOnOrAfter: minutes(-5), notOnOrAfter: minutes(10) }), 'saml_subject_confirmation_expired');
    expect(lastFailure()?.detail).toMatch(/NotOnOrAfter/);
  });

  it('accepts a bearer confirmation window that passed within the connection clock skew', async () => {
    const flow = await signIn((req) => legit(req, { subjectNotOnOrAfter: new Date(Date.now() - 20_000) }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
  });

  it('refuses a bearer confirmation that is not valid yet (its NotBefore beyond the clock skew)', async () => {
    await expectRefused((req) => legit(req, { subjectNotBefore: minutes(5) }), 'saml_subject_confirmation_expired');
  });

  it('refuses a signed assertion that states no authentication (attributes only, no AuthnStatement)', async () => {
    await expectRefused((req) => legit(req, { authnStatement: false }), 'saml_authn_statement_missing');
  });

  it('refuses a response whose status is an error even with a signed assertion attached', async () => {
    await expectRefused((req) => legit(req, { status: { code: 'Requester', subCode: 'RequestDenied' } }), 'saml_idp_status_error');
    expect(lastFailure()?.detail).toBe('Requester/RequestDenied');
  });

  it('reports an unsigned NoPassive answer as the IdP status it is, not as a bad signature', async () => {
    await expectRefused((req) => legit(req, { assertionXml: '', status: { code: 'Responder', subCode: 'NoPassive' } }), 'saml_idp_status_error');
    expect(lastFailure()?.detail).toBe('Responder/NoPassive');
  });

  it("names the second-level status code before the IdP's message (AuthnFailed)", async () => {
    await expectRefused((req) => legit(req, { assertionXml: '', status: { code: 'Responder', subCode: 'AuthnFailed', message: 'MFA challenge failed' } }), 'saml_idp_status_error');
    expect(lastFailure()?.detail).toBe('Responder/AuthnFailed: MFA challenge failed');
  });

  it("refuses a Response whose Issuer is another entity than the signed assertion's", async () => {
    await expectRefused((req) => legit(req, { responseIssuer: 'http://www.okta.com/exk9otherapp' }), 'saml_issuer_mismatch');
    expect(lastFailure()?.detail).toMatch(/Response Issuer/);
  });

  it('refuses an assertion Issuer in another format than an entity id', async () => {
    await expectRefused((req) => {
      const assertion = idp.assertionXml(legit(req)).replace('<saml:Issuer>', '<saml:Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">');
      return legit(req, { assertionXml: signElement(assertion, 'Assertion', idp.signer, 'Issuer') });
    }, 'saml_issuer_mismatch');
  });

  it('refuses a Response Issuer in another format than an entity id', async () => {
    await expectRefused((req) => ({ raw: Buffer.from(idp.responseXml(legit(req)).replace('<saml:Issuer>', '<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">')).toString('base64') }), 'saml_issuer_mismatch');
    expect(lastFailure()?.detail).toMatch(/^Response Issuer Format/);
  });

  const withoutSubjectNotOnOrAfter = (req: AuthnRequest) => idp.assertionXml(legit(req)).replace(/(<saml:SubjectConfirmationData[^>]*?) NotOnOrAfter="[^"]*"/, '$1');
  const signed = (assertion: string) => signElement(assertion, 'Assertion', idp.signer, 'Issuer');

  it('refuses a bearer confirmation without the NotOnOrAfter the profile requires of it, saying so', async () => {
    await expectRefused((req) => legit(req, { assertionXml: signed(withoutSubjectNotOnOrAfter(req)) }), 'saml_subject_confirmation_invalid');
    expect(lastFailure()?.detail).toBe('bearer SubjectConfirmationData has no NotOnOrAfter');
  });

  it('says the same of one inside an encrypted assertion', async () => {
    const spCert = (await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections`)).data[0].saml.sp.certificate;
    await expectRefused((req) => legit(req, { assertionXml: encryptAssertion(signed(withoutSubjectNotOnOrAfter(req)), spCert) }), 'saml_subject_confirmation_invalid');
    expect(lastFailure()?.detail).toBe('bearer SubjectConfirmationData has no NotOnOrAfter');
  });

  it('refuses a bearer confirmation for our ACS without NotOnOrAfter, though another for someone else has one', async () => {
    await expectRefused((req) => {
      const ours = /<saml:SubjectConfirmation [\s\S]*?<\/saml:SubjectConfirmation>/.exec(withoutSubjectNotOnOrAfter(req))![0];
      const theirs = ours.replace(`Recipient="${req.acs}"`, `NotOnOrAfter="${minutes(5).toISOString()}" Recipient="https://other-sp.example/acs"`);
      return legit(req, { assertionXml: signed(idp.assertionXml(legit(req)).replace(/<saml:SubjectConfirmation [\s\S]*?<\/saml:SubjectConfirmation>/, theirs + ours)) });
    }, 'saml_subject_confirmation_invalid');
    expect(lastFailure()?.detail).toBe('bearer SubjectConfirmationData has no NotOnOrAfter');
  });

  it('refuses Conditions without NotOnOrAfter as missing conditions', async () => {
    await expectRefused((req) => legit(req, { assertionXml: signed(idp.assertionXml(legit(req)).replace(/(<saml:Conditions[^>]*?) NotOnOrAfter="[^"]*"/, '$1')) }), 'saml_conditions_missing');
    expect(lastFailure()?.detail).toBe('assertion has no Conditions with NotOnOrAfter');
  });

  it('refuses Conditions without an AudienceRestriction (or empty ones) as missing conditions, saying which', async () => {
    const withoutAudience = (req: AuthnRequest) => signed(idp.assertionXml(legit(req)).replace(/<saml:AudienceRestriction>[\s\S]*?<\/saml:AudienceRestriction>/, ''));
    await expectRefused((req) => legit(req, { assertionXml: withoutAudience(req) }), 'saml_conditions_missing');
    expect(lastFailure()?.detail).toBe('assertion has no AudienceRestriction');
    const empty = (req: AuthnRequest) => signed(idp.assertionXml(legit(req)).replace(/<saml:Conditions[\s\S]*?<\/saml:Conditions>/, '<saml:Conditions/>'));
    await expectRefused((req) => legit(req, { assertionXml: empty(req) }), 'saml_conditions_missing');
  });

  it('refuses an assertion with two Conditions elements (at most one is allowed), plain or encrypted', async () => {
    const twice = (req: AuthnRequest) => {
      const xml = idp.assertionXml(legit(req));
      return signed(xml.replace(/<saml:Conditions[\s\S]*?<\/saml:Conditions>/, (c) => c + c));
    };
    await expectRefused((req) => legit(req, { assertionXml: twice(req) }), 'saml_invalid_response');
    expect(lastFailure()?.detail).toBe('more than one Conditions element (an assertion has at most one, SAML core 2.3.3)');
    const spCert = (await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections`)).data[0].saml.sp.certificate;
    await expectRefused((req) => legit(req, { assertionXml: encryptAssertion(twice(req), spCert) }), 'saml_invalid_response');
    expect(lastFailure()?.detail).toMatch(/^more than one Conditions element/);
  });

  it('refuses a SessionNotOnOrAfter that is not a date, rather than ignoring the bound', async () => {
    await expectRefused((req) => {
      const assertion = idp.assertionXml(legit(req, { sessionNotOnOrAfter: minutes(60) })).replace(/SessionNotOnOrAfter="[^"]*"/, 'SessionNotOnOrAfter="tomorrow"');
      return legit(req, { assertionXml: signElement(assertion, 'Assertion', idp.signer, 'Issuer') });
    }, 'saml_invalid_response');
    expect(lastFailure()?.detail).toMatch(/SessionNotOnOrAfter tomorrow is not a date/);
  });

  it('refuses an encrypted NameID (EncryptedID), telling the admin to encrypt the whole assertion instead', async () => {
    await expectRefused((req) => {
      const encryptedId = '<saml:EncryptedID><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedID>';
      const assertion = idp.assertionXml(legit(req)).replace(/<saml:NameID [^>]*>[^<]*<\/saml:NameID>/, encryptedId);
      return legit(req, { assertionXml: signElement(assertion, 'Assertion', idp.signer, 'Issuer') });
    }, 'saml_invalid_response');
    expect(lastFailure()?.detail).toMatch(/EncryptedID/);
  });

  it("ends the session when the IdP's session ends (SessionNotOnOrAfter), when that is sooner", async () => {
    const idpSessionEnd = minutes(30);
    const flow = await signIn((req) => legit(req, { sessionNotOnOrAfter: idpSessionEnd }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    const sessionId = env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.metadata?.session_id as string;
    expect(env.services.sso.sessions.find(sessionId)?.expires_at).toBe(idpSessionEnd.toISOString().replace(/\.\d{3}Z$/, '.000Z'));
  });

  it('refuses an assertion about an IdP session that has already ended', async () => {
    await expectRefused((req) => legit(req, { sessionNotOnOrAfter: minutes(-5) }), 'saml_idp_session_expired');
  });

  it('a response signed on another element than the connection requires is refused, and the audit detail names the setting that would accept it', async () => {
    const connection = (await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections`)).data[0];
    await expectRefused((req) => legit(req, { signAssertion: false, signResponse: true }), 'saml_signature_invalid');
    expect(lastFailure()?.detail).toMatch(/the assertion is not signed \(the IdP signs only the Response\).*saml\.want_assertions_signed to false/);
    await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${connection.id}`, { saml: { want_assertions_signed: false, want_response_signed: true } });
    try {
      expect((await signIn((req) => legit(req, { signAssertion: false, signResponse: true }))).landed).toMatch(/\/callback\?code=/);
      await expectRefused((req) => legit(req), 'saml_signature_invalid');
      expect(lastFailure()?.detail).toMatch(/the Response is not signed.*saml\.want_response_signed to false/);
    } finally {
      await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${connection.id}`, { saml: { want_assertions_signed: true, want_response_signed: false } });
    }
  });
});
