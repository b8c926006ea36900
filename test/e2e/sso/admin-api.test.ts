import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../helpers/harness.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * Every SSO admin endpoint refuses: no credential (401), a revoked key (401), another tenant's
 * key (404), a key without `admin` (403), a malformed or oversized body (400/413); none of
 * these changes anything.
 */
describe('SSO admin API security', () => {
  let h: Harness;
  let acme: { id: string };
  let other: { id: string };
  let ids: { app: string; conn: string; dom: string };
  let keys: { other: string; revoked: string; readOnly: string };
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    h = new Harness({ bodyLimitBytes: 64 * 1024 });
    acme = await h.createTenant('Acme', 'acme');
    other = await h.createTenant('Other', 'other');
    const app = await h.json('POST', `/admin/v1/tenants/${acme.id}/apps`, { body: { name: 'a', grant_types: ['client_credentials'] } });
    const conn = await h.json('POST', `/admin/v1/tenants/${acme.id}/connections`, { body: { name: 'c', protocol: 'saml', saml: { metadata_xml: idp.metadataXml() } } });
    const dom = await h.json('POST', `/admin/v1/tenants/${acme.id}/domains`, { body: { domain: 'acme.test' } });
    ids = { app: app.body.id, conn: conn.body.id, dom: dom.body.id };
    const revoked = await h.tenantKey(acme.id, ['admin']);
    await h.json('DELETE', `/admin/v1/tenants/${acme.id}/api-keys/${revoked.id}`);
    keys = { other: (await h.tenantKey(other.id, ['admin'])).key, revoked: revoked.key, readOnly: (await h.tenantKey(acme.id, ['audit:read'])).key };
  });
  afterAll(() => h?.close());

  const t = () => `/admin/v1/tenants/${acme.id}`;
  const endpoints = (): [string, string, unknown?][] => [
    ['POST', `${t()}/apps`, { name: 'x', grant_types: ['client_credentials'] }],
    ['GET', `${t()}/apps`],
    ['GET', `${t()}/apps/${ids.app}`],
    ['PATCH', `${t()}/apps/${ids.app}`, { name: 'y' }],
    ['POST', `${t()}/apps/${ids.app}/rotate-secret`],
    ['DELETE', `${t()}/apps/${ids.app}`],
    ['POST', `${t()}/connections`, { name: 'x', protocol: 'saml', saml: { metadata_xml: idp.metadataXml() } }],
    ['GET', `${t()}/connections`],
    ['GET', `${t()}/connections/${ids.conn}`],
    ['PATCH', `${t()}/connections/${ids.conn}`, { name: 'y' }],
    ['POST', `${t()}/connections/${ids.conn}/refresh-metadata`],
    ['POST', `${t()}/connections/${ids.conn}/test-login`],
    ['POST', `${t()}/connections/${ids.conn}/sp-certificates`],
    ['POST', `${t()}/connections/${ids.conn}/sp-certificates/activate`],
    ['DELETE', `${t()}/connections/${ids.conn}/sp-certificates/pending`],
    ['DELETE', `${t()}/connections/${ids.conn}`],
    ['POST', `${t()}/domains`, { domain: 'x.test' }],
    ['GET', `${t()}/domains`],
    ['POST', `${t()}/domains/${ids.dom}/verify`],
    ['DELETE', `${t()}/domains/${ids.dom}`],
    ['GET', `${t()}/sso-settings`],
    ['PUT', `${t()}/sso-settings`, { jit_provisioning: true }],
  ];
  const auditCount = () => [...h.services.audit.export(acme.id, {})].length;

  it('answers 401 without a credential and with a revoked key, changing nothing', async () => {
    const before = auditCount();
    for (const [method, path, body] of endpoints()) {
      for (const key of [null, keys.revoked]) {
        const r = await h.json(method, path, { key, body });
        expect([method, path, r.status, r.body.code]).toEqual([method, path, 401, 'unauthenticated']);
      }
    }
    expect(auditCount()).toBe(before);
  });

  it("answers 404 to another tenant's admin key and 403 to a key without the admin scope", async () => {
    const before = auditCount();
    for (const [method, path, body] of endpoints()) {
      const foreign = await h.json(method, path, { key: keys.other, body });
      expect([method, path, foreign.status]).toEqual([method, path, 404]);
      const scoped = await h.json(method, path, { key: keys.readOnly, body });
      expect([method, path, scoped.status, scoped.body.code]).toEqual([method, path, 403, 'insufficient_scope']);
    }
    expect(auditCount()).toBe(before);
  });

  it('refuses malformed, unknown-field and oversized bodies with 4xx and no change', async () => {
    const before = auditCount();
    for (const [method, path, body] of endpoints().filter(([, , b]) => b !== undefined)) {
      const malformed = await h.json(method, path, { rawBody: '{"name":' });
      expect([path, malformed.status, malformed.body.code]).toEqual([path, 400, 'malformed_json']);
      const unknown = await h.json(method, path, { body: { ...(body as object), surprise: 1 } });
      expect([path, unknown.status, unknown.body.code]).toEqual([path, 400, 'invalid_request']);
      const big = await h.json(method, path, { rawBody: JSON.stringify({ name: 'x'.repeat(70 * 1024) }) });
      expect([path, big.status]).toEqual([path, 413]);
    }
    expect(auditCount()).toBe(before);
  });

  it('refuses invalid SSO configuration with stable codes', async () => {
    const post = (path: string, body: unknown) => h.json('POST', `${t()}${path}`, { body });
    expect((await post('/connections', { name: 'x', protocol: 'saml', saml: { metadata_xml: '<not-xml' } })).body.code).toBe('invalid_metadata');
    expect((await post('/connections', { name: 'x', protocol: 'saml', saml: { metadata_xml: '<!DOCTYPE x [<!ENTITY e "e">]><x/>' } })).body.code).toBe('invalid_metadata');
    expect((await post('/connections', { name: 'x', protocol: 'saml', saml: { idp_entity_id: 'e', idp_sso_url: 'https://idp/sso', idp_certificates: ['not a cert'] } })).body.code).toBe('invalid_certificate');
    expect((await post('/connections', { name: 'x', protocol: 'saml', saml: { metadata_url: 'http://idp.example/metadata' } })).body.code).toBe('metadata_url_refused');
    expect((await post('/connections', { name: 'x', protocol: 'saml', saml: { metadata_url: 'https://127.0.0.1/metadata' } })).body.code).toBe('metadata_url_refused');
    expect((await post('/connections', { name: 'x', protocol: 'oidc', oidc: { issuer: 'http://idp.example', client_id: 'c' } })).body.code).toBe('invalid_connection');
    expect((await post('/apps', { name: 'x', grant_types: ['authorization_code'] })).body.code).toBe('invalid_app');
    expect((await post('/apps', { name: 'x', grant_types: ['authorization_code'], redirect_uris: ['http://app.example/cb'] })).body.code).toBe('invalid_uri');
    expect((await post('/apps', { name: 'x', grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' })).body.code).toBe('invalid_app');
    expect((await post('/domains', { domain: 'not a domain' })).body.code).toBe('invalid_domain');
    expect((await post('/domains', { domain: 'acme.test' })).status).toBe(409);
  });

  it('lets only a platform key register a multi-tenant app', async () => {
    const tenantAdmin = await h.tenantKey(acme.id, ['admin']);
    const r = await h.json('POST', `${t()}/apps`, { key: tenantAdmin.key, body: { name: 'x', grant_types: ['client_credentials'], multi_tenant: true } });
    expect([r.status, r.body.code]).toEqual([403, 'platform_key_required']);
  });

  it("lets only a platform key change, re-key or delete a multi-tenant app: the app's own tenant admin gets 403 and nothing changes", async () => {
    const shared = await h.json('POST', `${t()}/apps`, { body: { name: 'B2B', multi_tenant: true, grant_types: ['authorization_code'], redirect_uris: ['https://app.example/cb'] } });
    const tenantAdmin = await h.tenantKey(acme.id, ['admin']);
    const path = `${t()}/apps/${shared.body.id}`;
    const events = [...h.services.audit.export(acme.id, {})].length;
    const tries = [
      await h.json('PATCH', path, { key: tenantAdmin.key, body: { redirect_uris: ['https://attacker.example/cb'] } }),
      await h.json('POST', `${path}/rotate-secret`, { key: tenantAdmin.key }),
      await h.json('DELETE', path, { key: tenantAdmin.key }),
    ];
    expect(tries.map((r) => [r.status, r.body.code])).toEqual(Array(3).fill([403, 'platform_key_required']));
    expect((await h.json('GET', path, { key: tenantAdmin.key })).body.redirect_uris).toEqual(['https://app.example/cb']);
    expect([...h.services.audit.export(acme.id, {})]).toHaveLength(events);
    expect((await h.json('PATCH', path, { body: { name: 'B2B (prod)' } })).status).toBe(200);
  });

  it('shows the client secret once and never again', async () => {
    const created = await h.json('POST', `${t()}/apps`, { body: { name: 'once', grant_types: ['client_credentials'] } });
    expect(created.body.client_secret).toMatch(/^ptc_app_/);
    const read = await h.json('GET', `${t()}/apps/${created.body.id}`);
    expect(JSON.stringify(read.body)).not.toContain(created.body.client_secret);
    expect(h.logs.text).not.toContain(created.body.client_secret);
    expect(JSON.stringify([...h.services.audit.export(acme.id, {})])).not.toContain(created.body.client_secret);
  });

  it('audits every SSO configuration change with the key that made it and what changed, and never a secret', async () => {
    const tenantAdmin = await h.tenantKey(acme.id, ['admin']);
    const as = (method: string, path: string, body?: unknown) => h.json(method, `${t()}${path}`, { key: tenantAdmin.key, body });
    const from = [...h.services.audit.export(acme.id, {})].length;
    const conn = (await as('POST', '/connections', { name: 'Okta OIDC', protocol: 'oidc', oidc: { issuer: 'https://acme.okta.test', client_id: 'okta-client', client_secret: 'upstream-secret-do-not-log' } })).body;
    await as('PATCH', `/connections/${conn.id}`, { name: 'Okta (OIDC)' });
    await as('DELETE', `/connections/${conn.id}`);
    const app = (await as('POST', '/apps', { name: 'audited', grant_types: ['client_credentials'] })).body;
    const rotated = (await as('POST', `/apps/${app.id}/rotate-secret`)).body;
    await as('PATCH', `/apps/${app.id}`, { name: 'audited app' });
    await as('DELETE', `/apps/${app.id}`);
    const dom = (await as('POST', '/domains', { domain: 'audited.test' })).body;
    await as('DELETE', `/domains/${dom.id}`);
    await as('PUT', '/sso-settings', { jit_provisioning: !(await as('GET', '/sso-settings')).body.jit_provisioning });
    const events = [...h.services.audit.export(acme.id, {})].slice(from);
    expect(events.map((e) => [e.action, e.target?.id])).toEqual([
      ['sso.connection.created', conn.id],
      ['sso.connection.updated', conn.id],
      ['sso.connection.deleted', conn.id],
      ['oidc.app.created', app.id],
      ['oidc.app.secret_rotated', app.id],
      ['oidc.app.updated', app.id],
      ['oidc.app.deleted', app.id],
      ['sso.domain.added', dom.id],
      ['sso.domain.removed', dom.id],
      ['sso.settings.updated', expect.any(String)],
    ]);
    for (const e of events) expect(e.actor).toMatchObject({ type: 'tenant_key', credential_id: tenantAdmin.id });
    const updated = events[1]!;
    expect(JSON.stringify([updated.before, updated.after, updated.metadata])).toMatch(/Okta \(OIDC\)/);
    const written = JSON.stringify(events);
    for (const secret of ['upstream-secret-do-not-log', app.client_secret, rotated.client_secret]) expect(written).not.toContain(secret);
    expect(h.logs.text).not.toContain('upstream-secret-do-not-log');
  });

  it('answers a PUT of the current SSO settings with them, recording no event; a change is one event', async () => {
    const current = (await h.json('GET', `${t()}/sso-settings`)).body;
    const events = [...h.services.audit.export(acme.id, {})].length;
    const same = await h.json('PUT', `${t()}/sso-settings`, { body: current });
    expect([same.status, same.body]).toEqual([200, current]);
    expect([...h.services.audit.export(acme.id, {})]).toHaveLength(events);
    const flipped = await h.json('PUT', `${t()}/sso-settings`, { body: { jit_provisioning: !current.jit_provisioning } });
    expect(flipped.body).toEqual({ jit_provisioning: !current.jit_provisioning });
    expect([...h.services.audit.export(acme.id, {})].slice(events).map((e) => [e.action, e.before, e.after])).toEqual([
      ['sso.settings.updated', current, { jit_provisioning: !current.jit_provisioning }],
    ]);
  });

  it('verifies a domain only when the DNS TXT record carries the token (both outcomes audited)', async () => {
    const d = await h.json('POST', `${t()}/domains`, { body: { domain: 'verify-me.test' } });
    const missing = await h.json('POST', `${t()}/domains/${d.body.id}/verify`);
    expect([missing.status, missing.body.code]).toEqual([422, 'domain_not_verified']);
    expect([...h.services.audit.export(acme.id, { })].filter((e) => e.action === 'sso.domain.verification_failed')).toHaveLength(1);
  });
});
