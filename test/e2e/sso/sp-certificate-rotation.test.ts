import { X509Certificate, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { DOMParser } from '@xmldom/xmldom';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo, certBody } from '../../helpers/saml-idp.ts';

type AuthnRequest = ReturnType<typeof TestSamlIdp.readAuthnRequest>;
interface SpCertificate {
  status: 'active' | 'pending' | 'previous';
  fingerprint: string;
  not_after: string | null;
  created_at: string | null;
  last_decrypted_at: string | null;
  certificate: string;
}

/**
 * SP certificate rotation of a SAML connection, as an IdP admin lives it: a new certificate is
 * staged (published in the SP metadata), the IdP imports the metadata, the new certificate is
 * activated (AuthnRequests signed with it), the old one is retired. Sign-ins with assertions
 * encrypted to any certificate still accepted keep working at every step; none beyond.
 */
describe('SAML SP certificate rotation', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp();
  let acme: { id: string };
  let connectionId = '';
  let rp: client.Configuration;
  const certs: Record<'first' | 'second', string> = { first: '', second: '' };

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    const connection = await env.samlConnection(acme.id, idp);
    connectionId = connection.id;
    certs.first = connection.saml.sp.certificate;
    rp = await env.rp(await env.app(acme.id));
    env.provisionUser(acme.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
  });
  afterAll(() => env?.close());

  const base = () => `/admin/v1/tenants/${acme.id}/connections/${connectionId}`;
  const connection = async () => env.ok('GET', base());
  const spCertificates = async (): Promise<SpCertificate[]> => (await connection()).saml.sp.certificates;

  /** The AuthnRequest on its way to the IdP, and the redirect URL that carried it. */
  async function begin(browser: Browser): Promise<{ req: AuthnRequest; url: string }> {
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    const toIdp = await browser.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl));
    return { req: TestSamlIdp.readAuthnRequest(toIdp.url), url: toIdp.url };
  }

  /** Signs in with the assertion encrypted to `spCert`: where the browser lands at the app. */
  async function signInEncryptedTo(spCert: string): Promise<string> {
    const browser = new Browser();
    const { req } = await begin(browser);
    const response = idp.response(answerTo(req, 'ada@acme.test', { encryptFor: spCert }));
    return (await browser.follow(req.acs, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: response, RelayState: req.relayState } })).url;
  }

  /** The HTTP-Redirect binding signature (SAML bindings §3.4.4.1), checked with node:crypto. */
  function redirectSignedBy(url: string, certPem: string): boolean {
    const params = new Map(new URL(url).search.slice(1).split('&').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const));
    expect(decodeURIComponent(params.get('SigAlg') ?? '')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    const signed = ['SAMLRequest', 'RelayState', 'SigAlg'].filter((k) => params.has(k)).map((k) => `${k}=${params.get(k)}`).join('&');
    return verify('sha256', Buffer.from(signed), certPem, Buffer.from(decodeURIComponent(params.get('Signature') ?? ''), 'base64'));
  }

  async function signingRequestsWith(): Promise<'first' | 'second' | 'neither'> {
    const { url } = await begin(new Browser());
    return redirectSignedBy(url, certs.first) ? 'first' : redirectSignedBy(url, certs.second) ? 'second' : 'neither';
  }

  /** The certificates the SP metadata publishes, by use. */
  async function metadataCertificates(): Promise<{ signing: string[]; encryption: string[] }> {
    const xml = await (await fetch(`${env.base}/sso/saml/${connectionId}/metadata`)).text();
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const out = { signing: [] as string[], encryption: [] as string[] };
    const descriptors = doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:metadata', 'KeyDescriptor');
    for (let i = 0; i < descriptors.length; i++) {
      const d = descriptors.item(i)!;
      const body = d.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'X509Certificate').item(0)?.textContent?.replace(/\s+/g, '') ?? '';
      out[d.getAttribute('use') as 'signing' | 'encryption'].push(body);
    }
    return out;
  }
  const lastFailureReason = () => env.audit(acme.id, 'sso.login.failed').at(-1)?.metadata?.reason;

  it('lists a new connection’s one SP certificate as active, with its fingerprint and expiry', async () => {
    const [only, ...rest] = await spCertificates();
    expect(rest).toEqual([]);
    const x509 = new X509Certificate(certs.first);
    expect(only).toMatchObject({ status: 'active', certificate: certs.first, fingerprint: x509.fingerprint256, not_after: new Date(x509.validTo).toISOString(), last_decrypted_at: null });
    expect(Date.parse(only!.not_after!) - Date.now()).toBeGreaterThan(9 * 365 * 86_400_000);
    expect(await signingRequestsWith()).toBe('first');
  });

  it('stages a new certificate: published for signing and encryption, requests still signed with the current key, both decrypt', async () => {
    const etag = (await env.api('GET', base())).body;
    const staged = await env.api('POST', `${base()}/sp-certificates`);
    expect(staged.status).toBe(201);
    const list: SpCertificate[] = staged.body.saml.sp.certificates;
    expect(list.map((c) => c.status)).toEqual(['active', 'pending']);
    certs.second = list[1]!.certificate;
    expect(certs.second).not.toBe(certs.first);
    expect(staged.body.saml.sp.certificate).toBe(certs.first);
    expect(staged.body.updated_at >= etag.updated_at).toBe(true);

    expect(await metadataCertificates()).toEqual({ signing: [certBody(certs.first), certBody(certs.second)], encryption: [certBody(certs.second)] });
    expect(await signingRequestsWith()).toBe('first');
    const before = Date.now();
    expect(await signInEncryptedTo(certs.first)).toMatch(/\/callback\?code=/);
    expect(await signInEncryptedTo(certs.second)).toMatch(/\/callback\?code=/);
    // Each certificate shows when it last decrypted: the admin can see the IdP use the new one.
    const used = await spCertificates();
    expect(used.map((c) => c.status)).toEqual(['active', 'pending']);
    for (const c of used) expect(Date.parse(c.last_decrypted_at ?? '')).toBeGreaterThanOrEqual(before - 1000);

    const again = await env.api('POST', `${base()}/sp-certificates`);
    expect([again.status, again.body.code]).toEqual([409, 'sp_certificate_pending']);
    expect(await spCertificates()).toEqual(used);
  });

  it('activates the staged certificate: requests signed with it, the replaced one still decrypts', async () => {
    const activated = await env.api('POST', `${base()}/sp-certificates/activate`);
    expect(activated.status).toBe(200);
    expect(activated.body.saml.sp.certificate).toBe(certs.second);
    expect(activated.body.saml.sp.certificates.map((c: SpCertificate) => [c.status, c.certificate])).toEqual([
      ['active', certs.second],
      ['previous', certs.first],
    ]);
    expect(await metadataCertificates()).toEqual({ signing: [certBody(certs.second)], encryption: [certBody(certs.second)] });
    expect(await signingRequestsWith()).toBe('second');
    expect(await signInEncryptedTo(certs.second)).toMatch(/\/callback\?code=/);
    expect(await signInEncryptedTo(certs.first)).toMatch(/\/callback\?code=/);

    const again = await env.api('POST', `${base()}/sp-certificates/activate`);
    expect([again.status, again.body.code]).toEqual([409, 'no_pending_sp_certificate']);
  });

  it('refuses to activate another certificate while the previous one is still accepted, and discards a staged one', async () => {
    const listed: SpCertificate[] = (await env.ok('POST', `${base()}/sp-certificates`)).saml.sp.certificates;
    expect(listed.map((c) => c.status)).toEqual(['active', 'pending', 'previous']);
    const third = listed[1]!;
    const refused = await env.api('POST', `${base()}/sp-certificates/activate`);
    expect([refused.status, refused.body.code]).toEqual([409, 'sp_certificate_previous_exists']);

    const discarded = await env.ok('DELETE', `${base()}/sp-certificates/pending`);
    expect(discarded.saml.sp.certificates.map((c: SpCertificate) => c.status)).toEqual(['active', 'previous']);
    expect(await signInEncryptedTo(third.certificate)).toMatch(/error=access_denied/);
    expect(lastFailureReason()).toBe('saml_decryption_failed');
  });

  it('retires the previous certificate: assertions encrypted to it are refused from then on', async () => {
    const retired = await env.api('DELETE', `${base()}/sp-certificates/previous`);
    expect(retired.status).toBe(200);
    expect(retired.body.saml.sp.certificates.map((c: SpCertificate) => [c.status, c.certificate])).toEqual([['active', certs.second]]);
    const sessions = env.sessionCount();
    expect(await signInEncryptedTo(certs.first)).toMatch(/error=access_denied/);
    expect(lastFailureReason()).toBe('saml_decryption_failed');
    expect(env.sessionCount()).toBe(sessions);
    expect(await signInEncryptedTo(certs.second)).toMatch(/\/callback\?code=/);

    const again = await env.api('DELETE', `${base()}/sp-certificates/previous`);
    expect([again.status, again.body.code]).toEqual([404, 'not_found']);
  });

  it('audits every step with the certificate’s fingerprint, and never a private key', async () => {
    const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
    const steps = env
      .audit(acme.id)
      .filter((e) => e.action.startsWith('sso.connection.sp_certificate_'))
      .map((e) => [e.action, e.target?.id, e.metadata?.fingerprint, e.metadata?.which ?? null]);
    expect(steps.slice(0, 2)).toEqual([
      ['sso.connection.sp_certificate_staged', connectionId, fp(certs.second), null],
      ['sso.connection.sp_certificate_activated', connectionId, fp(certs.second), null],
    ]);
    expect(steps.slice(2).map(([action, , , which]) => [action, which])).toEqual([
      ['sso.connection.sp_certificate_staged', null],
      ['sso.connection.sp_certificate_retired', 'pending'],
      ['sso.connection.sp_certificate_retired', 'previous'],
    ]);
    expect(steps[4]![2]).toBe(fp(certs.first));
    const text = JSON.stringify(env.audit(acme.id));
    expect(text).not.toMatch(/PRIVATE KEY|private_key/);
    expect(env.logs.text).not.toMatch(/PRIVATE KEY/);
  });

  it('changes nothing on a stale If-Match, on an OIDC connection or on an unknown certificate slot', async () => {
    const before = await env.api('GET', base());
    const stale = await fetch(`${env.base}${base()}/sp-certificates`, { method: 'POST', headers: { authorization: `Bearer ${env.platformKey}`, 'if-match': '"1"' } });
    expect([stale.status, ((await stale.json()) as { code: string }).code]).toEqual([412, 'precondition_failed']);
    const bogus = await env.api('DELETE', `${base()}/sp-certificates/current`);
    expect([bogus.status, bogus.body.code]).toEqual([400, 'invalid_request']);
    const oidc = await env.ok('POST', `/admin/v1/tenants/${acme.id}/connections`, { name: 'Entra', protocol: 'oidc', oidc: { issuer: 'https://login.example.test/v2.0', client_id: 'c' } });
    const notSaml = await env.api('POST', `/admin/v1/tenants/${acme.id}/connections/${oidc.id}/sp-certificates`);
    expect([notSaml.status, notSaml.body.code]).toEqual([400, 'invalid_connection']);
    expect((await env.api('GET', base())).body).toEqual(before.body);
  });
});
