import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo, testKey, signElement, type ResponseOptions } from '../../helpers/saml-idp.ts';
import { assertionWrapping, responseWrapping } from '../../helpers/xsw.ts';

type AuthnRequest = ReturnType<typeof TestSamlIdp.readAuthnRequest>;

describe('SAML responses that must be refused (each audited with its precise reason)', () => {
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
    env.provisionUser(tenant.id, { userName: 'victim@acme.test', email: 'victim@acme.test', externalId: 'victim@acme.test' });
    env.provisionUser(tenant.id, { userName: 'admin@acme.test', email: 'admin@acme.test', externalId: 'admin@acme.test' });
  });
  afterAll(() => env?.close());

  const legit = (req: AuthnRequest, o: Partial<ResponseOptions> = {}) => answerTo(req, 'victim@acme.test', o);
  const evil = (req: AuthnRequest) => idp.assertionXml({ ...legit(req), id: '_evil', nameId: 'admin@acme.test', attributes: { email: 'admin@acme.test' } });
  const b64 = (xml: string) => Buffer.from(xml).toString('base64');

  async function expectRefused(respond: (req: AuthnRequest) => Partial<ResponseOptions> & { raw?: string }, reason: string) {
    const before = env.audit(tenant.id, 'sso.login.succeeded').length;
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, respond);
    expect(flow.landed).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.succeeded')).toHaveLength(before);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe(reason);
  }

  it('accepts the legitimate response the attacks start from', async () => {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, (req) => legit(req));
    expect(flow.landed).toMatch(/\/callback\?code=/);
  });

  for (const variant of [1, 2] as const) {
    it(`refuses signature wrapping XSW${variant} around a signed Response`, async () => {
      await expectRefused((req) => {
        const signed = idp.responseXml({ ...legit(req), signAssertion: false, signResponse: true });
        return { raw: b64(responseWrapping(variant, signed, evil(req))) };
      }, 'saml_multiple_assertions');
    });
  }

  for (const variant of [3, 4, 5, 6, 7, 8] as const) {
    it(`refuses signature wrapping XSW${variant} around a signed Assertion`, async () => {
      await expectRefused((req) => ({ raw: b64(assertionWrapping(variant, idp.responseXml(legit(req)), evil(req))) }), 'saml_multiple_assertions');
    });
  }

  it('refuses a NameID with an injected comment (no truncated identity is ever used)', async () => {
    await expectRefused((req) => {
      const xml = idp.responseXml(legit(req, { nameId: 'admin@acme.test.evil.example' }));
      return { raw: b64(xml.replace('admin@acme.test.evil.example', 'admin@acme.test<!---->.evil.example')) };
    }, 'saml_comment_forbidden');
  });

  it('refuses an unsigned response', async () => {
    await expectRefused((req) => legit(req, { signAssertion: false }), 'saml_signature_invalid');
  });

  it('refuses an assertion changed after it was signed', async () => {
    await expectRefused((req) => ({ raw: b64(idp.responseXml(legit(req)).replace('victim@acme.test</saml:NameID>', 'admin@acme.test</saml:NameID>')) }), 'saml_signature_invalid');
  });

  it('refuses a response whose only signature is on the envelope when assertions must be signed', async () => {
    await expectRefused((req) => legit(req, { signAssertion: false, signResponse: true, nameId: 'admin@acme.test' }), 'saml_signature_invalid');
  });

  it('refuses a signature made with the certificate in KeyInfo instead of the trusted one', async () => {
    await expectRefused((req) => legit(req, { signer: testKey('attacker') }), 'saml_signature_invalid');
  });

  it('refuses the wrong audience', async () => {
    await expectRefused((req) => legit(req, { audience: 'https://other-sp.example/metadata' }), 'saml_audience_mismatch');
  });

  it('refuses the wrong recipient', async () => {
    await expectRefused((req) => legit(req, { recipient: 'https://other-sp.example/acs', destination: req.acs }), 'saml_recipient_mismatch');
  });

  it('refuses the wrong destination', async () => {
    await expectRefused((req) => legit(req, { destination: 'https://other-sp.example/acs' }), 'saml_destination_mismatch');
  });

  it('refuses a signed Response without Destination (SAML bindings 3.5.5.2), even beside a signed assertion', async () => {
    await expectRefused((req) => legit(req, { destination: null, signResponse: true }), 'saml_destination_mismatch');
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.detail).toBe('signed Response without Destination');
  });

  it("reports a signed error answer without Destination by the IdP's status, which tells the admin more", async () => {
    await expectRefused((req) => legit(req, { destination: null, signResponse: true, signAssertion: false, assertionXml: '', status: { code: 'Requester', subCode: 'RequestDenied', message: 'User is not assigned to this application' } }), 'saml_idp_status_error');
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.detail).toBe('Requester/RequestDenied: User is not assigned to this application');
  });

  it('accepts a response without Destination whose only signature is on the assertion', async () => {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, (req) => legit(req, { destination: null }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
  });

  it('refuses an expired assertion (beyond the clock skew)', async () => {
    const past = new Date(Date.now() - 10 * 60_000);
    await expectRefused((req) => legit(req, { notBefore: new Date(past.getTime() - 60_000), notOnOrAfter: past }), 'saml_assertion_expired');
  });

  it('refuses an assertion that is not valid yet (beyond the clock skew)', async () => {
    const future = new Date(Date.now() + 10 * 60_000);
    await expectRefused((req) => legit(req, { notBefore: future, notOnOrAfter: new Date(future.getTime() + 60_000) }), 'saml_assertion_not_yet_valid');
  });

  it('refuses an assertion without conditions', async () => {
    await expectRefused((req) => legit(req, { conditions: false }), 'saml_conditions_missing');
  });

  it('refuses a replayed assertion id, even inside a fresh response to a new request', async () => {
    const id = '_assertion_replayed_once';
    const first = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, (req) => legit(req, { id }));
    expect(first.landed).toMatch(/\/callback\?code=/);
    await expectRefused((req) => legit(req, { id }), 'saml_assertion_replayed');
  });

  it('refuses a captured response posted again (its login state is spent)', async () => {
    let captured: { acs: string; form: Record<string, string> } | undefined;
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, (req) => {
      const raw = idp.response(legit(req));
      captured = { acs: req.acs, form: { SAMLResponse: raw, RelayState: req.relayState } };
      return { raw };
    });
    expect(flow.landed).toMatch(/\/callback\?code=/);
    const replay = await new Browser().request(captured!.acs, { form: captured!.form });
    expect(replay.status).toBe(400);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('login_state_unknown');
  });

  it('refuses a response to another request (InResponseTo mismatch)', async () => {
    await expectRefused((req) => legit(req, { inResponseTo: '_someone_elses_request' }), 'saml_in_response_to_mismatch');
  });

  it('refuses an XXE payload without resolving the entity', async () => {
    await expectRefused((req) => {
      const xml = idp.responseXml(legit(req));
      return { raw: b64(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${xml.replace('victim@acme.test</saml:NameID>', '&xxe;</saml:NameID>')}`) };
    }, 'saml_dtd_forbidden');
  });

  it('refuses entity expansion ("billion laughs")', async () => {
    const lol = '<!DOCTYPE r [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>';
    await expectRefused((req) => ({ raw: b64(`${lol}${idp.responseXml(legit(req, { attributes: { email: '&c;' } }))}`) }), 'saml_dtd_forbidden');
  });

  it('refuses a response carrying two signed assertions', async () => {
    await expectRefused((req) => {
      const one = signElement(idp.assertionXml(legit(req)), 'Assertion', idp.signer, 'Issuer');
      const two = signElement(idp.assertionXml({ ...legit(req), nameId: 'admin@acme.test' }), 'Assertion', idp.signer, 'Issuer');
      return { raw: b64(idp.responseXml({ ...legit(req), assertionXml: `${one}${two}` })) };
    }, 'saml_multiple_assertions');
  });

  it('refuses an unsolicited (IdP-initiated) response while IdP-initiated login is off', async () => {
    const acs = `${env.base}/sso/saml/${(await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections`)).data[0].id}/acs`;
    const raw = idp.response({ recipient: acs, audience: acs.replace('/acs', '/metadata'), inResponseTo: null, nameId: 'victim@acme.test' });
    const res = await new Browser().request(acs, { form: { SAMLResponse: raw } });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toMatch(/saml_|victim/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('saml_idp_initiated_disabled');
  });
});
