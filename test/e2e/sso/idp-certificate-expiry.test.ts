import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';

/**
 * Metadata pins IdP certificates and an expired one keeps verifying (docs/sso.md), but an IdP
 * whose certificate expires rolls over to a new one, and a connection without a metadata URL
 * then stops working until an admin imports it. /metrics counts the active SAML connections by
 * how soon their newest IdP certificate expires, so operators can alert before that morning.
 */
describe('IdP certificate expiry in /metrics', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  const gauge = async (harness: Harness) => {
    const text = await (await harness.request('GET', '/metrics', { key: null })).text();
    return Object.fromEntries([...text.matchAll(/^portcullis_sso_saml_connections\{idp_certificate="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
  };

  it('counts active SAML connections whose newest IdP certificate is valid, expires within 30 days, or has expired', async () => {
    h = new Harness();
    const t = await h.createTenant('Acme', 'acme');
    const create = (name: string, status: string, certs: string[]) =>
      h!.json('POST', `/admin/v1/tenants/${t.id}/connections`, { body: { name, protocol: 'saml', status, saml: { metadata_xml: new TestSamlIdp().metadataXml(certs) } } });
    // All three test certificates expire in early November 2126.
    expect((await create('one cert', 'active', [testKey('idp').cert])).status).toBe(201);
    expect((await create('rolled over', 'active', [testKey('idp').cert, testKey('idp-next').cert])).status).toBe(201);
    expect((await create('still testing', 'testing', [testKey('idp').cert])).status).toBe(201);
    expect((await h.json('POST', `/admin/v1/tenants/${t.id}/connections`, { body: { name: 'oidc', protocol: 'oidc', status: 'active', oidc: { issuer: 'https://login.example.test', client_id: 'c' } } })).status).toBe(201);

    expect(await gauge(h)).toEqual({ valid: 2, expiring: 0, expired: 0 });
    h.clock.set('2126-10-20T00:00:00Z');
    expect(await gauge(h)).toEqual({ valid: 0, expiring: 2, expired: 0 });
    h.clock.set('2126-12-01T00:00:00Z');
    expect(await gauge(h)).toEqual({ valid: 0, expiring: 0, expired: 2 });
  });

  it("leaves out a deleted tenant's connections: their certificates are nobody's to renew", async () => {
    h = new Harness();
    const kept = await h.createTenant('Acme', 'acme');
    const gone = await h.createTenant('Gone', 'gone');
    for (const t of [kept, gone]) {
      const r = await h.json('POST', `/admin/v1/tenants/${t.id}/connections`, { body: { name: 'okta', protocol: 'saml', status: 'active', saml: { metadata_xml: new TestSamlIdp().metadataXml([testKey('idp').cert]) } } });
      expect(r.status).toBe(201);
    }
    expect(await gauge(h)).toEqual({ valid: 2, expiring: 0, expired: 0 });
    expect((await h.json('DELETE', `/admin/v1/tenants/${gone.id}`)).status).toBeLessThan(300);
    h.clock.set('2126-12-01T00:00:00Z');
    expect(await gauge(h)).toEqual({ valid: 0, expiring: 0, expired: 1 });
  });
});
