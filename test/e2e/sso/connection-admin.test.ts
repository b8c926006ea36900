import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { runSsoMaintenance } from '../../../src/sso/maintenance.ts';

/** What an IT admin does with a connection: test it, activate it, keep its metadata fresh. */
describe('connection lifecycle', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  const idp = new TestSamlIdp();
  const metadata: { current: string; during?: () => Promise<void> } = { current: idp.metadataXml() };
  const fetched: string[] = [];

  beforeAll(async () => {
    env = await SsoEnv.start({
      sso: {
        metadataFetcher: async (url) => {
          fetched.push(url);
          await metadata.during?.();
          return metadata.current;
        },
      },
    });
    tenant = await env.tenant('Acme', 'acme');
  });
  afterAll(() => env?.close());

  it("runs an admin's test login on a testing connection and shows what the IdP sent, without signing anyone in", async () => {
    const conn = await env.samlConnection(tenant.id, idp, { status: 'testing' });
    expect(conn.status).toBe('testing');
    const { url } = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}/test-login`);
    expect(url.startsWith(idp.ssoUrl)).toBe(true);
    const req = TestSamlIdp.readAuthnRequest(url);
    const res = await new Browser().request(req.acs, {
      form: { RelayState: req.relayState, SAMLResponse: idp.response({ recipient: req.acs, audience: req.issuer, inResponseTo: req.id, nameId: 'it.admin@acme.test', attributes: { email: 'it.admin@acme.test', firstName: 'Ivy', groups: ['IT'] } }) },
    });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('it.admin@acme.test');
    expect(page).toContain('firstName');
    const after = await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`);
    expect(after.last_test).toMatchObject({ outcome: 'succeeded', received: { mapped: { email: 'it.admin@acme.test', given_name: 'Ivy', groups: ['IT'] } } });
    expect(env.audit(tenant.id, 'sso.connection.test_succeeded')).toHaveLength(1);
    expect(env.audit(tenant.id, 'sso.login.succeeded')).toHaveLength(0);
    expect(env.services.storage.sql.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
    const active = await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`, { status: 'active' });
    expect(active.status).toBe('active');
    expect(env.audit(tenant.id, 'sso.connection.updated').at(-1)?.after).toMatchObject({ status: 'active' });
  });

  it("a test login that succeeds with a misnamed attribute shows the mapped profile and says what to fix (names are case-sensitive)", async () => {
    const conn = await env.samlConnection(tenant.id, idp, { status: 'testing', group_mappings: [{ idp_group: 'IT', relation: 'member' }] });
    const { url } = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}/test-login`);
    const req = TestSamlIdp.readAuthnRequest(url);
    // Okta attribute statements typed as "Email" and "FirstName", and no group statement.
    const attributes = { Email: 'it.admin@acme.test', FirstName: 'Ivy', lastName: 'Ives', displayName: 'Ivy Ives' };
    const res = await new Browser().request(req.acs, { form: { RelayState: req.relayState, SAMLResponse: idp.response({ recipient: req.acs, audience: req.issuer, inResponseTo: req.id, nameId: '00u1ivy', nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', attributes }) } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('Mapped profile');
    expect(page).toMatch(/email: the IdP sent no &#39;email&#39; attribute\. The IdP sent &#39;Email&#39;: names are case-sensitive/);
    expect(page).toMatch(/given_name: the IdP sent no &#39;firstName&#39; attribute\. The IdP sent &#39;FirstName&#39;/);
    expect(page).toMatch(/groups: the IdP sent no &#39;groups&#39; attribute.*take the mapped relations away/);
    const after = await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`);
    expect(after.last_test.received.mapped).toMatchObject({ external_id: '00u1ivy', email: null, given_name: null, family_name: 'Ives' });
    expect(after.last_test.received.warnings).toHaveLength(3);
    expect(env.audit(tenant.id, 'sso.connection.test_succeeded').at(-1)?.metadata?.warnings).toEqual(after.last_test.received.warnings);
    // With the mapping fixed, the same answer gives a clean result.
    await env.ok('PATCH', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`, { attribute_mapping: { email: 'Email', given_name: 'FirstName' }, group_mappings: [] });
    const again = TestSamlIdp.readAuthnRequest((await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}/test-login`)).url);
    const clean = await (await new Browser().request(again.acs, { form: { RelayState: again.relayState, SAMLResponse: idp.response({ recipient: again.acs, audience: again.issuer, inResponseTo: again.id, nameId: '00u1ivy', attributes }) } })).text();
    expect(clean).not.toContain('Check the mapping');
    expect((await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`)).last_test.received).toMatchObject({ mapped: { email: 'it.admin@acme.test', given_name: 'Ivy' }, warnings: [] });
  });

  it('on a connection that allows SHA-1, accepts an IdP signing with it, and says so: a test-login warning and a flag on each sign-in', async () => {
    const conn = await env.samlConnection(tenant.id, idp, { status: 'testing', saml: { allow_sha1_signatures: true } });
    const { url } = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}/test-login`);
    const req = TestSamlIdp.readAuthnRequest(url);
    const attributes = { email: 'old@acme.test', firstName: 'Olive', lastName: 'Old', displayName: 'Olive Old' };
    const res = await new Browser().request(req.acs, { form: { RelayState: req.relayState, SAMLResponse: idp.response({ recipient: req.acs, audience: req.issuer, inResponseTo: req.id, nameId: 'old@acme.test', attributes, sha1: true }) } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/signature: the IdP signs with SHA-1.*accepted only because saml\.allow_sha1_signatures is true: set the IdP to sign with SHA-256/);
    expect((await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`)).last_test.received.warnings).toEqual([expect.stringMatching(/^signature: the IdP signs with SHA-1/)]);
    // The same IdP signing with SHA-256: nothing to say.
    const again = TestSamlIdp.readAuthnRequest((await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}/test-login`)).url);
    await new Browser().request(again.acs, { form: { RelayState: again.relayState, SAMLResponse: idp.response({ recipient: again.acs, audience: again.issuer, inResponseTo: again.id, nameId: 'old@acme.test', attributes }) } });
    expect((await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`)).last_test.received.warnings).toEqual([]);
  });

  it('records a failed test with its reason', async () => {
    const conn = (await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections`)).data[0];
    const { url } = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}/test-login`);
    const req = TestSamlIdp.readAuthnRequest(url);
    const res = await new Browser().request(req.acs, {
      form: { RelayState: req.relayState, SAMLResponse: idp.response({ recipient: req.acs, audience: 'https://wrong-audience.example', inResponseTo: req.id, nameId: 'x@acme.test' }) },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('saml_audience_mismatch');
    expect(env.audit(tenant.id, 'sso.connection.test_failed').at(-1)?.metadata).toMatchObject({ reason: 'saml_audience_mismatch' });
  });

  it("shows the admin why a test failed in the verifier's own words, on the page, in last_test and in the audit event", async () => {
    const conn = (await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections`)).data[0];
    const { url } = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}/test-login`);
    const req = TestSamlIdp.readAuthnRequest(url);
    const res = await new Browser().request(req.acs, {
      form: { RelayState: req.relayState, SAMLResponse: idp.response({ recipient: req.acs, audience: 'https://wrong-audience.example', inResponseTo: req.id, nameId: 'x@acme.test' }) },
    });
    const page = await res.text();
    const detail = (await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`)).last_test.received.attributes.detail as string;
    expect(detail).toMatch(/audience/i);
    expect(page).toContain(detail.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'));
    expect(env.audit(tenant.id, 'sso.connection.test_failed').at(-1)?.metadata).toMatchObject({ reason: 'saml_audience_mismatch', detail });
  });

  it('imports IdP metadata from a URL and picks up a certificate rollover on the scheduled refresh', async () => {
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: 'https://idp.example/app/metadata' } });
    expect(fetched).toEqual(['https://idp.example/app/metadata']);
    expect(conn.saml.idp_certificates).toHaveLength(1);
    metadata.current = idp.metadataXml([testKey('idp').cert, testKey('idp-next').cert]);
    const nothingDue = await runSsoMaintenance(env.services.sso, env.services.clock, 720);
    expect(nothingDue.metadataRefreshed).toBe(0);
    const refreshed = await runSsoMaintenance(env.services.sso, { now: () => new Date(Date.now() + 13 * 3600_000) }, 720);
    expect(refreshed.metadataRefreshed).toBe(1);
    const after = await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`);
    expect(after.saml.idp_certificates).toHaveLength(2);
    expect(env.audit(tenant.id, 'sso.connection.metadata_refreshed').at(-1)?.metadata).toMatchObject({ ok: true });
  });

  it('keeps the last good metadata when a refresh fails, and says why (502 idp_metadata_unavailable)', async () => {
    const conn = (await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections`)).data.find((c: any) => c.saml.metadata_url);
    metadata.current = '<html>maintenance</html>';
    const refresh = await env.api('POST', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}/refresh-metadata`);
    expect([refresh.status, refresh.body.code]).toEqual([502, 'idp_metadata_unavailable']);
    expect(refresh.body.details.reason).toMatch(/EntityDescriptor/);
    const after = await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`);
    expect(after.saml.metadata_error).toBe(refresh.body.details.reason);
    expect(after.saml.idp_certificates).toHaveLength(2);
  });

  it("takes If-Match on a change: the current ETag (strong or weak) passes; a stale one, or another connection's at the same version, gets 412 and changes nothing", async () => {
    const [a, b] = [await env.samlConnection(tenant.id, idp, { name: 'A' }), await env.samlConnection(tenant.id, idp, { name: 'B' })];
    const etagOf = async (id: string) => (await fetch(`${env.base}/admin/v1/tenants/${tenant.id}/connections/${id}`, { headers: { authorization: `Bearer ${env.platformKey}` } })).headers.get('etag') as string;
    const patch = (id: string, ifMatch: string, name: string) =>
      fetch(`${env.base}/admin/v1/tenants/${tenant.id}/connections/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${env.platformKey}`, 'content-type': 'application/json', 'if-match': ifMatch },
        body: JSON.stringify({ name }),
      });
    const [etagA, etagB] = [await etagOf(a.id), await etagOf(b.id)];
    expect(etagA).not.toBe(etagB);
    expect((await patch(b.id, etagA, 'B by A’s tag')).status).toBe(412);
    const renamed = await patch(a.id, `W/${etagA}`, 'A renamed');
    expect(renamed.status).toBe(200);
    expect(renamed.headers.get('etag')).not.toBe(etagA);
    expect((await patch(a.id, etagA, 'stale')).status).toBe(412);
    expect((await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${a.id}`)).name).toBe('A renamed');
    expect((await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${b.id}`)).name).toBe('B');
  });

  it('answers a PATCH that changes nothing (empty, or the current values) with the unchanged connection, the same ETag and no audit event', async () => {
    const conn = await env.samlConnection(tenant.id, idp, {
      name: 'Okta (no-op)',
      status: 'testing',
      attribute_mapping: { email: 'Email' },
      group_mappings: [{ idp_group: 'Admins', relation: 'admin' }, { idp_group: 'Everyone', relation: 'member' }],
    });
    const path = `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`;
    const read = async () => {
      const res = await fetch(`${env.base}${path}`, { headers: { authorization: `Bearer ${env.platformKey}` } });
      return { etag: res.headers.get('etag') as string, body: await res.json() };
    };
    const patch = async (body: unknown, ifMatch?: string) => {
      const res = await fetch(`${env.base}${path}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${env.platformKey}`, 'content-type': 'application/json', ...(ifMatch ? { 'if-match': ifMatch } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, etag: res.headers.get('etag'), body: await res.json() };
    };
    const before = await read();
    const events = env.audit(tenant.id).length;
    const sameValues = {
      name: 'Okta (no-op)',
      status: 'testing',
      attribute_preset: 'okta',
      attribute_mapping: { email: 'Email' },
      group_mappings: [{ idp_group: 'Everyone', relation: 'member' }, { idp_group: 'Admins', relation: 'admin' }],
      saml: { metadata_xml: idp.metadataXml(), want_assertions_signed: true, clock_skew_seconds: before.body.saml.clock_skew_seconds, idp_initiated_app_id: null },
    };
    for (const [body, ifMatch] of [[{}, undefined], [{}, before.etag], [sameValues, undefined], [{ saml: {} }, `W/${before.etag}`]] as const) {
      const r = await patch(body, ifMatch);
      expect([JSON.stringify(body).slice(0, 40), r.status, r.etag]).toEqual([JSON.stringify(body).slice(0, 40), 200, before.etag]);
      expect(r.body).toEqual(before.body);
    }
    expect(env.audit(tenant.id)).toHaveLength(events);
    expect(await read()).toEqual(before);
    // If-Match is still honoured on a PATCH that would change nothing.
    expect((await patch({}, '"0000"')).status).toBe(412);
    // A real change still is one.
    const renamed = await patch({ name: 'Okta (changed)' }, before.etag);
    expect(renamed.status).toBe(200);
    expect(renamed.etag).not.toBe(before.etag);
    expect(env.audit(tenant.id)).toHaveLength(events + 1);
  });

  it('takes an OIDC client secret equal to the stored one as no change, and a new one as a change', async () => {
    const oidc = { issuer: 'https://idp.example', client_id: 'portcullis', client_secret: 'first-secret', scopes: 'openid email' };
    const conn = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, { name: 'OIDC', protocol: 'oidc', oidc });
    const path = `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`;
    const etag = async () => (await fetch(`${env.base}${path}`, { headers: { authorization: `Bearer ${env.platformKey}` } })).headers.get('etag');
    const first = await etag();
    const events = env.audit(tenant.id, 'sso.connection.updated').length;
    await env.ok('PATCH', path, { name: 'OIDC', oidc });
    expect(await etag()).toBe(first);
    expect(env.audit(tenant.id, 'sso.connection.updated')).toHaveLength(events);
    await env.ok('PATCH', path, { oidc: { client_secret: 'second-secret' } });
    expect(await etag()).not.toBe(first);
    expect(env.audit(tenant.id, 'sso.connection.updated')).toHaveLength(events + 1);
  });

  it('keeps a change an admin made while the metadata was being fetched (the refresh replaces only what the metadata says)', async () => {
    metadata.current = idp.metadataXml();
    const conn = await env.samlConnection(tenant.id, idp, { name: 'Okta', saml: { metadata_url: 'https://idp.example/app/metadata-2' } });
    const path = `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`;
    metadata.current = idp.metadataXml([testKey('idp').cert, testKey('idp-next').cert]);
    metadata.during = async () => {
      metadata.during = undefined;
      await env.ok('PATCH', path, { name: 'Okta (prod)', group_mappings: [{ idp_group: 'Admins', relation: 'admin' }], saml: { clock_skew_seconds: 120 } });
    };
    await env.ok('POST', `${path}/refresh-metadata`);
    const after = await env.ok('GET', path);
    expect(after).toMatchObject({ name: 'Okta (prod)', group_mappings: [{ idp_group: 'Admins', relation: 'admin' }] });
    expect(after.saml.clock_skew_seconds).toBe(120);
    expect(after.saml.idp_certificates).toHaveLength(2);
  });
});
