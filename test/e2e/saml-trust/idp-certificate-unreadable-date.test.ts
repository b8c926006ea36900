import { generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';

// A minimal DER writer (not the code under test's) for one self-signed certificate.
function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const header = n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from(header), body]);
}
const seq = (...p: Buffer[]) => der(0x30, ...p);
const SHA256_RSA = seq(Buffer.from('06092a864886f70d01010b', 'hex'), Buffer.from('0500', 'hex'));

/**
 * An RSA certificate that OpenSSL parses but whose notAfter is no date it can print (UTCTime
 * month 13): X509Certificate.validTo is "Bad time value". Such certificates exist in the wild
 * (hand-rolled or old IdP tooling); metadata pins keys without checking dates.
 */
function certificateWithUnreadableExpiry(): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const name = seq(der(0x31, seq(Buffer.from('0603550403', 'hex'), der(0x0c, Buffer.from('legacy idp')))));
  const validity = seq(der(0x17, Buffer.from('200101000000Z')), der(0x17, Buffer.from('301301000000Z')));
  const tbs = seq(der(0xa0, der(0x02, Buffer.from([2]))), der(0x02, Buffer.from([7])), SHA256_RSA, name, validity, name, publicKey.export({ type: 'spki', format: 'der' }));
  const certificate = seq(tbs, SHA256_RSA, der(0x03, Buffer.from([0]), sign('sha256', tbs, privateKey)));
  const cert = `-----BEGIN CERTIFICATE-----\n${certificate.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert };
}

/**
 * An IdP certificate whose expiry cannot be read is imported like any other (the key is what is
 * pinned; `not_after` is null, as the API documents for such certificates), never a 500.
 */
describe('an IdP signing certificate whose expiry OpenSSL cannot read', () => {
  let env: SsoEnv;
  let acme: { id: string };
  let rp: client.Configuration;
  const legacy = certificateWithUnreadableExpiry();
  const idp = new TestSamlIdp('https://legacy-idp.example/saml', 'https://legacy-idp.example/sso', legacy);

  beforeAll(async () => {
    env = await SsoEnv.start();
    acme = await env.tenant('Acme', 'acme');
    rp = await env.rp(await env.app(acme.id));
    env.provisionUser(acme.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada@acme.test' });
  });
  afterAll(() => env?.close());

  it('is really such a certificate (the premise of this suite)', () => {
    expect(new X509Certificate(legacy.cert).validTo).toBe('Bad time value');
  });

  it('is imported from metadata, shown with not_after null, and verifies sign-ins', async () => {
    const r = await env.api('POST', `/admin/v1/tenants/${acme.id}/connections`, { name: 'Legacy', protocol: 'saml', status: 'active', saml: { metadata_xml: idp.metadataXml() } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.saml.idp_certificates).toEqual([{ fingerprint: new X509Certificate(legacy.cert).fingerprint256, not_after: null }]);

    const browser = new Browser();
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    const req = TestSamlIdp.readAuthnRequest((await browser.follow(url.toString(), (l) => l.startsWith(idp.ssoUrl))).url);
    const back = await browser.follow(req.acs, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: idp.response(answerTo(req, 'ada@acme.test')), RelayState: req.relayState } });
    expect(back.url).toMatch(/\/callback\?code=/);
  });

  it('is accepted when given directly in idp_certificates too', async () => {
    const r = await env.api('POST', `/admin/v1/tenants/${acme.id}/connections`, {
      name: 'Legacy direct',
      protocol: 'saml',
      saml: { idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl, idp_certificates: [legacy.cert] },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.saml.idp_certificates[0].not_after).toBeNull();
  });
});
