import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo, encryptAssertion, signElement, testKey, type ResponseOptions } from '../../helpers/saml-idp.ts';

type AuthnRequest = ReturnType<typeof TestSamlIdp.readAuthnRequest>;
const b64 = (xml: string) => Buffer.from(xml).toString('base64');

/**
 * SHA-1 signatures are refused unless the connection allows them (`saml.allow_sha1_signatures`,
 * false for new connections), judged on the signatures node-saml verified: a decoy beside a
 * verified signature changes nothing, and an encrypted assertion's own signature counts too.
 */
describe('SAML signatures made with SHA-1, per connection', () => {
  let env: SsoEnv;
  let idp: TestSamlIdp;
  let tenant: { id: string };
  let connection: { id: string; saml: { sp: { certificate: string } } };
  let rp: client.Configuration;
  const path = () => `/admin/v1/tenants/${tenant.id}/connections/${connection.id}`;

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    idp = new TestSamlIdp();
    connection = await env.samlConnection(tenant.id, idp);
    rp = await env.rp(await env.app(tenant.id));
    env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
  });
  afterAll(() => env?.close());

  const legit = (req: AuthnRequest, o: Partial<ResponseOptions> = {}) => answerTo(req, 'ada@acme.test', o);
  const lastFailure = () => env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata;
  const lastSuccess = () => env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.metadata;
  const signIn = async (respond: (req: AuthnRequest) => Partial<ResponseOptions> & { raw?: string }) => (await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, respond)).landed;
  const withSettings = async (saml: Record<string, boolean>, run: () => Promise<void>) => {
    await env.ok('PATCH', path(), { saml });
    try {
      await run();
    } finally {
      await env.ok('PATCH', path(), { saml: { allow_sha1_signatures: false, want_assertions_signed: true, want_response_signed: false } });
    }
  };

  async function expectSha1Refused(respond: (req: AuthnRequest) => Partial<ResponseOptions> & { raw?: string }, signature: 'Response' | 'assertion') {
    const before = { sessions: env.sessionCount(), succeeded: env.audit(tenant.id, 'sso.login.succeeded').length };
    const landed = await signIn(respond);
    expect(landed).toMatch(/\/callback\?error=access_denied/);
    expect(lastFailure()?.reason, String(lastFailure()?.detail)).toBe('saml_sha1_signature_refused');
    expect(lastFailure()?.detail).toMatch(new RegExp(`^the ${signature} signature uses SHA-1 \\(.*xmldsig#rsa-sha1.*\\): switch the IdP app to sign with SHA-256, or set saml\\.allow_sha1_signatures: true`));
    expect(env.sessionCount()).toBe(before.sessions);
    expect(env.audit(tenant.id, 'sso.login.succeeded')).toHaveLength(before.succeeded);
  }

  /** An assertion signed by the IdP with SHA-1 (RSA-SHA1 and a SHA-1 digest). */
  const sha1Assertion = (req: AuthnRequest) => signElement(idp.assertionXml(legit(req)), 'Assertion', idp.signer, 'Issuer', true);
  /** A response around `inner`, its own signature made by `signer` with SHA-256 (or none). */
  const around = (req: AuthnRequest, inner: string, signer?: { key: string; cert: string }) => {
    const xml = idp.responseXml(legit(req, { assertionXml: inner }));
    return { raw: b64(signer ? signElement(xml, 'Response', signer, 'Issuer') : xml) };
  };
  const spCert = () => connection.saml.sp.certificate;

  it('is off on a new connection: its view says so, and an assertion signed with SHA-1 is refused, the detail saying what to change', async () => {
    expect((await env.ok('GET', path())).saml.allow_sha1_signatures).toBe(false);
    await expectSha1Refused((req) => legit(req, { sha1: true }), 'assertion');
    expect(await signIn((req) => legit(req))).toMatch(/\/callback\?code=/);
    expect(lastSuccess()?.sha1_signature).toBeUndefined();
  });

  it('refuses a Response signed with SHA-1 where only the Response signature is required', async () => {
    await withSettings({ want_assertions_signed: false, want_response_signed: true }, async () => {
      await expectSha1Refused((req) => legit(req, { sha1: true, signAssertion: false, signResponse: true }), 'Response');
    });
  });

  it('is not escaped by an unsigned SHA-256 decoy: a Response signature by an untrusted key beside the SHA-1 assertion signature node-saml verified', async () => {
    await expectSha1Refused((req) => around(req, sha1Assertion(req), testKey('attacker')), 'assertion');
  });

  it('is not escaped by a SHA-256 SignatureMethod slipped into the signature outside what it signs', async () => {
    await expectSha1Refused((req) => {
      const decoy = '<ds:Object><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></ds:Object></ds:Signature>';
      return around(req, sha1Assertion(req).replace('</ds:Signature>', decoy));
    }, 'assertion');
  });

  describe('inside an encrypted assertion', () => {
    it('refuses its SHA-1 signature, which node-saml strips from the verified copy (read by decrypting again)', async () => {
      await expectSha1Refused((req) => around(req, encryptAssertion(sha1Assertion(req), spCert())), 'assertion');
    });

    it('refuses it inside a Response signed with SHA-256 (read from the verified Response)', async () => {
      await expectSha1Refused((req) => around(req, encryptAssertion(sha1Assertion(req), spCert()), idp.signer), 'assertion');
    });

    it('refuses it beside a SHA-256 decoy Response signature that does not verify', async () => {
      await expectSha1Refused((req) => around(req, encryptAssertion(sha1Assertion(req), spCert()), testKey('attacker')), 'assertion');
    });

    it('accepts one signed with SHA-256', async () => {
      expect(await signIn((req) => legit(req, { encryptFor: spCert() }))).toMatch(/\/callback\?code=/);
      expect(lastSuccess()?.sha1_signature).toBeUndefined();
    });
  });

  describe('only the signatures node-saml relied on count', () => {
    it('accepts a SHA-1 assertion signature the connection does not require, inside a Response signed with SHA-256', async () => {
      await withSettings({ want_assertions_signed: false }, async () => {
        expect(await signIn((req) => around(req, sha1Assertion(req), idp.signer))).toMatch(/\/callback\?code=/);
        expect(lastSuccess()?.sha1_signature).toBeUndefined();
      });
    });

    it('accepts a SHA-256 assertion signature beside a SHA-1 Response signature that does not verify', async () => {
      expect(
        await signIn((req) => {
          const signed = signElement(idp.assertionXml(legit(req)), 'Assertion', idp.signer, 'Issuer');
          return { raw: b64(signElement(idp.responseXml(legit(req, { assertionXml: signed })), 'Response', testKey('attacker'), 'Issuer', true)) };
        }),
      ).toMatch(/\/callback\?code=/);
    });
  });

  it('accepts SHA-1 once the admin allows it (audited), flagging each sign-in; and refuses it again once switched back', async () => {
    const updated = await env.ok('PATCH', path(), { saml: { allow_sha1_signatures: true } });
    expect(updated.saml.allow_sha1_signatures).toBe(true);
    const change = env.audit(tenant.id, 'sso.connection.updated').at(-1);
    expect([(change?.before as any)?.saml?.allow_sha1_signatures, (change?.after as any)?.saml?.allow_sha1_signatures]).toEqual([false, true]);
    try {
      expect(await signIn((req) => legit(req, { sha1: true }))).toMatch(/\/callback\?code=/);
      expect(lastSuccess()).toMatchObject({ sha1_signature: true });
      expect(await signIn((req) => around(req, encryptAssertion(sha1Assertion(req), spCert()), idp.signer))).toMatch(/\/callback\?code=/);
      expect(lastSuccess()).toMatchObject({ sha1_signature: true });
      // The only signature inside the encrypted assertion (stripped from node-saml's verified copy): still flagged.
      expect(await signIn((req) => around(req, encryptAssertion(sha1Assertion(req), spCert())))).toMatch(/\/callback\?code=/);
      expect(lastSuccess()).toMatchObject({ sha1_signature: true });
    } finally {
      await env.ok('PATCH', path(), { saml: { allow_sha1_signatures: false } });
    }
    await expectSha1Refused((req) => legit(req, { sha1: true }), 'assertion');
  });

  it('takes the setting at creation, and refuses a value that is not a boolean without changing anything', async () => {
    const allowed = await env.samlConnection(tenant.id, idp, { name: 'Legacy IdP', status: 'testing', saml: { allow_sha1_signatures: true } });
    expect(allowed.saml.allow_sha1_signatures).toBe(true);
    const version = (await env.ok('GET', path())).updated_at;
    const bad = await env.api('PATCH', path(), { saml: { allow_sha1_signatures: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_request');
    expect((await env.ok('GET', path())).updated_at).toBe(version);
  });
});
