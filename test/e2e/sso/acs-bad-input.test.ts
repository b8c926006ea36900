import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo, signElement, testKey, type ResponseOptions } from '../../helpers/saml-idp.ts';

type AuthnRequest = ReturnType<typeof TestSamlIdp.readAuthnRequest>;

/**
 * The ACS is the one endpoint anyone on the internet can post to: every malformed, oversized or
 * out-of-place answer is refused, audited with its precise reason, shown to the user only as a
 * generic failure, and leaves no session behind. (The attacks on signatures and conditions are
 * in saml-attacks.test.ts.)
 */
describe('SAML ACS refuses bad input and answers from the wrong place', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp();
  let acme: { id: string; slug: string };
  let connection: { id: string; saml: { sp: { acs_url: string; entity_id: string; certificate: string } } };
  let rp: client.Configuration;

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    connection = await env.samlConnection(acme.id, idp);
    rp = await env.rp(await env.app(acme.id));
    env.provisionUser(acme.id, { userName: 'victim@acme.test', email: 'victim@acme.test', externalId: 'victim@acme.test' });
  });
  afterAll(() => env?.close());

  const legit = (req: AuthnRequest, o: Partial<ResponseOptions> = {}) => answerTo(req, 'victim@acme.test', o);
  const b64 = (xml: string) => Buffer.from(xml).toString('base64');
  const sessions = () => env.sessionCount();
  const lastFailure = (tenantId: string) => env.audit(tenantId, 'sso.login.failed').at(-1)?.metadata;

  /** The app's authorization request up to the IdP: the browser now holds a live login for `slug`. */
  async function begin(browser: Browser, relyingParty = rp, slug = 'acme', to = idp): Promise<AuthnRequest> {
    const { url } = await authorizationRequest(relyingParty, { organization: slug });
    const toIdp = await browser.follow(url.toString(), (l) => l.startsWith(to.ssoUrl));
    return TestSamlIdp.readAuthnRequest(toIdp.url);
  }

  /** Posts the IdP's answer to the login's ACS and follows the redirects back to the app: where it lands. */
  async function answer(browser: Browser, req: AuthnRequest, samlResponse: string): Promise<string> {
    return (await browser.follow(req.acs, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: samlResponse, RelayState: req.relayState } })).url;
  }

  /** Posts to the ACS and follows redirects back to the app; the login must fail generically. */
  async function expectRefused(samlResponse: (req: AuthnRequest) => string, reason: string): Promise<void> {
    const before = { sessions: sessions(), succeeded: env.audit(acme.id, 'sso.login.succeeded').length };
    const browser = new Browser();
    const req = await begin(browser);
    const landed = await answer(browser, req, samlResponse(req));
    expect(landed).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=access_denied/);
    expect(decodeURIComponent(landed)).not.toMatch(/saml_|victim/);
    expect(lastFailure(acme.id)?.reason).toBe(reason);
    expect(sessions()).toBe(before.sessions);
    expect(env.audit(acme.id, 'sso.login.succeeded')).toHaveLength(before.succeeded);
  }

  it('signs in with the legitimate response these cases start from', async () => {
    const browser = new Browser();
    const req = await begin(browser);
    expect(await answer(browser, req, idp.response(legit(req)))).toMatch(/\/callback\?code=/);
  });

  it('refuses a post without a SAMLResponse', async () => {
    await expectRefused(() => '', 'saml_response_missing');
  });

  it('refuses a SAMLResponse that is not base64', async () => {
    await expectRefused(() => '<samlp:Response>not base64</samlp:Response>', 'saml_malformed');
  });

  it('refuses base64 that is not well-formed XML', async () => {
    await expectRefused((req) => b64(idp.responseXml(legit(req)).slice(0, -20)), 'saml_malformed');
  });

  it('refuses a SAMLResponse above 512 KiB before decoding it', async () => {
    await expectRefused(() => 'A'.repeat(512 * 1024 + 4), 'saml_response_too_large');
  });

  it('answers 413 to a body above the configured limit, before reading the login state', async () => {
    const browser = new Browser();
    const req = await begin(browser);
    const failures = env.audit(acme.id, 'sso.login.failed').length;
    const res = await browser.request(req.acs, { form: { SAMLResponse: 'A'.repeat(1024 * 1024 + 1), RelayState: req.relayState } });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'payload_too_large' });
    expect(env.audit(acme.id, 'sso.login.failed')).toHaveLength(failures);
    // The login it was aimed at is untouched: the IdP's real answer still completes it.
    expect(await answer(browser, req, idp.response(legit(req)))).toMatch(/\/callback\?code=/);
  });

  it("refuses an IdP's error status (user not assigned), keeping the IdP's message for the audit log only", async () => {
    await expectRefused(
      (req) =>
        b64(
          `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_err1" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${req.acs}" InResponseTo="${req.id}"><saml:Issuer>${idp.entityId}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></samlp:StatusCode><samlp:StatusMessage>User is not assigned to this application</samlp:StatusMessage></samlp:Status></samlp:Response>`,
        ),
      'saml_idp_status_error',
    );
    expect(lastFailure(acme.id)?.detail).toMatch(/not assigned/);
  });

  it('refuses an assertion encrypted for another service provider', async () => {
    await expectRefused((req) => idp.response(legit(req, { encryptFor: testKey('attacker').cert })), 'saml_decryption_failed');
  });

  it('refuses an encrypted assertion whose ciphertext was altered (AES-GCM tag check)', async () => {
    await expectRefused((req) => {
      const xml = idp.responseXml(legit(req, { encryptFor: connection.saml.sp.certificate }));
      const values = [...xml.matchAll(/<xenc:CipherValue>([^<]+)<\/xenc:CipherValue>/g)];
      const body = values[1]![1]!;
      const at = Math.floor(body.length / 2);
      const altered = `${body.slice(0, at)}${body[at] === 'A' ? 'B' : 'A'}${body.slice(at + 1)}`;
      return b64(xml.replace(body, altered));
    }, 'saml_decryption_failed');
  });

  it("refuses a trusted signature over another issuer's assertion", async () => {
    await expectRefused((req) => idp.response(legit(req, { issuer: 'http://www.okta.com/exk9otherapp' })), 'saml_issuer_mismatch');
  });

  it('refuses a signed assertion without a bearer subject confirmation', async () => {
    await expectRefused((req) => {
      const assertion = idp.assertionXml(legit(req)).replace('urn:oasis:names:tc:SAML:2.0:cm:bearer', 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key');
      return b64(idp.responseXml({ ...legit(req), assertionXml: signElement(assertion, 'Assertion', idp.signer, 'Issuer') }));
    }, 'saml_subject_confirmation_invalid');
  });

  it('answers 404 to an unknown connection, recording nothing', async () => {
    const events = env.audit(acme.id).length;
    const res = await new Browser().request(`${env.base}/sso/saml/conn_01J0000000000000000000000/acs`, { form: { SAMLResponse: b64('<x/>') } });
    expect(res.status).toBe(404);
    expect((await new Browser().request(`${env.base}/sso/saml/conn_01J0000000000000000000000/metadata`)).status).toBe(404);
    expect(env.audit(acme.id)).toHaveLength(events);
  });

  describe("the connection's clock skew (default 60 s)", () => {
    const slow = () => ({ notBefore: new Date(Date.now() - 5 * 60_000), notOnOrAfter: new Date(Date.now() - 30_000) });
    const fast = () => ({ notBefore: new Date(Date.now() + 30_000), notOnOrAfter: new Date(Date.now() + 5 * 60_000) });
    const signIn = async (window: ReturnType<typeof slow>) => {
      const browser = new Browser();
      const req = await begin(browser);
      return answer(browser, req, idp.response(legit(req, window)));
    };

    it("accepts an IdP whose clock is 30 s behind or ahead of ours, and refuses both once the skew is set to 0", async () => {
      expect(await signIn(slow())).toMatch(/\/callback\?code=/);
      expect(await signIn(fast())).toMatch(/\/callback\?code=/);
      await env.ok('PATCH', `/admin/v1/tenants/${acme.id}/connections/${connection.id}`, { saml: { clock_skew_seconds: 0 } });
      try {
        expect(await signIn(slow())).toMatch(/\/callback\?error=access_denied/);
        expect(lastFailure(acme.id)?.reason).toBe('saml_assertion_expired');
        expect(await signIn(fast())).toMatch(/\/callback\?error=access_denied/);
        expect(lastFailure(acme.id)?.reason).toBe('saml_assertion_not_yet_valid');
      } finally {
        await env.ok('PATCH', `/admin/v1/tenants/${acme.id}/connections/${connection.id}`, { saml: { clock_skew_seconds: 60 } });
      }
    });
  });

  describe('which signatures a connection requires', () => {
    const signIn = async (o: Partial<ResponseOptions>) => {
      const browser = new Browser();
      const req = await begin(browser);
      return answer(browser, req, idp.response(legit(req, o)));
    };
    const withSettings = async (saml: Record<string, boolean>, run: () => Promise<void>) => {
      await env.ok('PATCH', `/admin/v1/tenants/${acme.id}/connections/${connection.id}`, { saml });
      try {
        await run();
      } finally {
        await env.ok('PATCH', `/admin/v1/tenants/${acme.id}/connections/${connection.id}`, { saml: { want_assertions_signed: true, want_response_signed: false } });
      }
    };
    const signedBoth = { signAssertion: true, signResponse: true };
    const envelopeOnly = { signAssertion: false, signResponse: true };
    const assertionOnly = { signAssertion: true, signResponse: false };
    const unsigned = { signAssertion: false, signResponse: false };

    it('with want_response_signed, refuses a response whose envelope is not signed and accepts one signed twice', async () => {
      await withSettings({ want_response_signed: true }, async () => {
        expect(await signIn(assertionOnly)).toMatch(/\/callback\?error=access_denied/);
        expect(lastFailure(acme.id)?.reason).toBe('saml_signature_invalid');
        expect(await signIn(signedBoth)).toMatch(/\/callback\?code=/);
      });
    });

    it('without want_assertions_signed, accepts a signed envelope over an unsigned assertion', async () => {
      await withSettings({ want_assertions_signed: false }, async () => {
        expect(await signIn(envelopeOnly)).toMatch(/\/callback\?code=/);
      });
    });

    it('never accepts an unsigned response, whatever the settings', async () => {
      await withSettings({ want_assertions_signed: false, want_response_signed: false }, async () => {
        expect(await signIn(unsigned)).toMatch(/\/callback\?error=access_denied/);
        expect(lastFailure(acme.id)?.reason).toBe('saml_signature_invalid');
      });
    });
  });

  describe('a live login answered somewhere it does not belong', () => {
    let beta: { id: string; slug: string };
    let betaConnection: { id: string; saml: { sp: { acs_url: string } } };
    let betaRp: client.Configuration;
    const betaIdp = new TestSamlIdp('http://www.okta.com/exk1betaidp', 'https://beta-idp.portcullis.test/sso/saml');

    beforeAll(async () => {
      beta = await env.tenant('Beta', 'beta');
      betaConnection = await env.samlConnection(beta.id, betaIdp);
      betaRp = await env.rp(await env.app(beta.id));
      env.provisionUser(beta.id, { userName: 'victim@acme.test', email: 'victim@acme.test', externalId: 'victim@acme.test' });
    });

    it("refuses tenant A's login state at tenant B's ACS, and A's login still completes", async () => {
      const browser = new Browser();
      const req = await begin(browser);
      const crossed = await browser.request(betaConnection.saml.sp.acs_url, { form: { SAMLResponse: betaIdp.response(legit(req, { recipient: betaConnection.saml.sp.acs_url })), RelayState: req.relayState } });
      expect(crossed.status).toBe(400);
      expect(await crossed.text()).not.toMatch(/login_state|victim/);
      expect(lastFailure(beta.id)?.reason).toBe('login_state_connection_mismatch');
      expect(env.audit(beta.id, 'sso.login.succeeded')).toHaveLength(0);
      expect(await answer(browser, req, idp.response(legit(req)))).toMatch(/\/callback\?code=/);
    });

    /** A Beta login started, then `change` made while the person is at the IdP: the IdP's honest answer is refused. */
    async function refusedAfter(change: () => Promise<unknown>, undo: () => Promise<unknown>, reason: string): Promise<void> {
      const browser = new Browser();
      const req = await begin(browser, betaRp, 'beta', betaIdp);
      await change();
      try {
        const before = sessions();
        expect(await answer(browser, req, betaIdp.response(legit(req)))).toMatch(/\/callback\?error=access_denied/);
        expect(lastFailure(beta.id)?.reason).toBe(reason);
        expect(sessions()).toBe(before);
      } finally {
        await undo();
      }
    }

    it('refuses a login that completes after its tenant was suspended', async () => {
      const lifecycle = (action: string) => () => env.ok('POST', `/admin/v1/tenants/${beta.id}/${action}`);
      await refusedAfter(lifecycle('suspend'), lifecycle('resume'), 'tenant_not_active');
    });

    it('refuses a login that completes after its connection was switched off', async () => {
      const status = (value: string) => () => env.ok('PATCH', `/admin/v1/tenants/${beta.id}/connections/${betaConnection.id}`, { status: value });
      await refusedAfter(status('inactive'), status('active'), 'connection_not_active');
    });

    it('refuses an IdP-initiated response when the named app has no login URL to land in (any more)', async () => {
      const app = await env.app(beta.id, { initiate_login_uri: 'http://127.0.0.1:9/login' });
      await env.ok('PATCH', `/admin/v1/tenants/${beta.id}/connections/${betaConnection.id}`, { saml: { allow_idp_initiated: true, idp_initiated_app_id: app.client_id } });
      await env.ok('PATCH', `/admin/v1/tenants/${beta.id}/apps/${app.client_id}`, { initiate_login_uri: null });
      const acs = betaConnection.saml.sp.acs_url;
      const before = sessions();
      const res = await new Browser().request(acs, { form: { SAMLResponse: betaIdp.response({ recipient: acs, audience: acs.replace('/acs', '/metadata'), inResponseTo: null, nameId: 'victim@acme.test', attributes: { email: 'victim@acme.test' } }) } });
      expect(res.status).toBe(400);
      expect(lastFailure(beta.id)?.reason).toBe('saml_idp_initiated_no_app');
      expect(sessions()).toBe(before);
    });
  });
});
