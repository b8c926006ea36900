import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';

/**
 * An OIDC issuer has no query and no fragment (OpenID Connect Discovery §2), so an upstream IdP's
 * discovery document never names one. Such an issuer was saved (201) and the connection could
 * never be used: the admin's test login answered 422 `idp_unreachable` with an unrelated reason
 * ("only requests to HTTPS are allowed"). It is refused when given.
 */
describe('an OIDC connection whose issuer has a query or a fragment', () => {
  const h = new Harness();
  let base = '';
  let tenantId = '';
  const events = () => [...h.services.audit.export(tenantId, {})].length;
  const oidc = (issuer: string) => ({ issuer, client_id: 'portcullis', client_secret: 'upstream-secret' });
  const bad = ['https://idp.example.test/?tenant=acme', 'https://idp.example.test/#x', 'https://idp.example.test#', 'https://idp.example.test/?'];

  beforeAll(async () => {
    tenantId = (await h.createTenant('Acme', 'acme')).id;
    base = `/admin/v1/tenants/${tenantId}/connections`;
  });
  afterAll(() => h.close());

  it.each(bad)('refuses %s on create (400 invalid_connection naming oidc.issuer), creating nothing', async (issuer) => {
    const before = events();
    const r = await h.json('POST', base, { body: { name: 'Okta', protocol: 'oidc', oidc: oidc(issuer) } });
    expect([r.status, r.body.code]).toEqual([400, 'invalid_connection']);
    expect(r.body.message).toMatch(/^oidc\.issuer /);
    expect((await h.json('GET', base)).body.data).toHaveLength(0);
    expect(events()).toBe(before);
  });

  it('refuses one on a PATCH, leaving the connection as it was', async () => {
    const created = await h.json('POST', base, { body: { name: 'Okta', protocol: 'oidc', oidc: oidc('https://idp.example.test') } });
    expect(created.status).toBe(201);
    const before = events();
    for (const issuer of bad) {
      const r = await h.json('PATCH', `${base}/${created.body.id}`, { body: { oidc: { issuer } } });
      expect([issuer, r.status, r.body.code]).toEqual([issuer, 400, 'invalid_connection']);
    }
    const now = await h.json('GET', `${base}/${created.body.id}`);
    expect(now.body.oidc.issuer).toBe('https://idp.example.test');
    expect(now.res.headers.get('etag')).toBe(created.res.headers.get('etag'));
    expect(events()).toBe(before);
  });
});
