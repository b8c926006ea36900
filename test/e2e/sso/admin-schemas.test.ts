import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createApp } from '../../../src/app.ts';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { declaredResponseSchema, strictIssues } from '../../helpers/strict-schema.ts';

/**
 * What `/openapi.json` promises generated clients, held to what the API really sends: each
 * answer below is parsed with the schema its route declares, every object made strict, so a
 * field the view has and the schema lacks (or the other way round, a required one) fails here.
 */
describe('admin API answers fit their declared response schemas exactly', () => {
  let env: SsoEnv;
  let app: OpenAPIHono;
  let tenant: { id: string };
  const idp = new TestSamlIdp();
  const metadata = { current: idp.metadataXml(), fail: false };

  beforeAll(async () => {
    env = await SsoEnv.start({
      sso: {
        metadataFetcher: async () => {
          if (metadata.fail) throw new Error('The metadata URL answered 503.');
          return metadata.current;
        },
      },
    });
    app = createApp(env.services);
    tenant = await env.tenant('Acme', 'acme');
  });
  afterAll(() => env?.close());

  /** Calls the API, expects `status`, and returns the body once it fits the declared schema strictly. */
  async function call(method: string, path: string, status: number, body?: unknown): Promise<any> {
    const r = await env.api(method, `/admin/v1${path}`, body);
    expect([method, path, r.status]).toEqual([method, path, status]);
    expect([method, path, strictIssues(declaredResponseSchema(app, method, `/admin/v1${path}`, status), r.body)]).toEqual([method, path, []]);
    return r.body;
  }
  const t = () => `/tenants/${tenant.id}`;

  async function testLogin(connectionId: string, audience?: string) {
    const { url } = await call('POST', `${t()}/connections/${connectionId}/test-login`, 201);
    const req = TestSamlIdp.readAuthnRequest(url);
    const attributes = { Email: 'ivy@acme.test', firstName: 'Ivy', groups: ['IT'] };
    await new Browser().request(req.acs, { form: { RelayState: req.relayState, SAMLResponse: idp.response({ recipient: req.acs, audience: audience ?? req.issuer, inResponseTo: req.id, nameId: 'ivy@acme.test', attributes }) } });
  }

  it('a SAML connection: bare, then with every optional part (URL metadata and its error, mappings, IdP-initiated app, three SP certificates, test results)', async () => {
    const bare = await call('POST', `${t()}/connections`, 201, { name: 'Bare', protocol: 'saml', saml: { metadata_xml: idp.metadataXml() } });
    expect(bare).toMatchObject({ last_test: null, oidc: null, attribute_mapping: {}, group_mappings: [], saml: { metadata_url: null, metadata_error: null, idp_initiated_app_id: null } });
    await call('GET', `${t()}/connections/${bare.id}`, 200);

    const landing = await call('POST', `${t()}/apps`, 201, { name: 'Portal', grant_types: ['authorization_code'], redirect_uris: ['https://app.example/cb'], initiate_login_uri: 'https://app.example/login' });
    const full = await call('POST', `${t()}/connections`, 201, {
      name: 'Full',
      protocol: 'saml',
      status: 'testing',
      attribute_preset: 'okta',
      attribute_mapping: { email: 'Email', groups: 'groups' },
      group_mappings: [{ idp_group: 'IT', relation: 'admin' }],
      saml: { metadata_url: 'https://idp.example/metadata', want_response_signed: false, allow_idp_initiated: true, idp_initiated_app_id: landing.id, clock_skew_seconds: 120 },
    });
    const path = `${t()}/connections/${full.id}`;
    await call('POST', `${path}/sp-certificates`, 201);
    await call('POST', `${path}/sp-certificates/activate`, 200);
    const three = await call('POST', `${path}/sp-certificates`, 201);
    expect(three.saml.sp.certificates.map((c: { status: string }) => c.status)).toEqual(['active', 'pending', 'previous']);

    metadata.current = idp.metadataXml([testKey('idp').cert, testKey('idp-next').cert]);
    await call('POST', `${path}/refresh-metadata`, 200);
    metadata.fail = true;
    const failed = await call('POST', `${path}/refresh-metadata`, 502);
    expect(failed.code).toBe('idp_metadata_unavailable');
    metadata.fail = false;

    await testLogin(full.id);
    const tested = await call('GET', path, 200);
    expect(tested.saml.metadata_error).toMatch(/503/);
    expect(tested.last_test).toMatchObject({ outcome: 'succeeded', received: { mapped: { email: 'ivy@acme.test' }, warnings: expect.any(Array) } });
    await testLogin(bare.id, 'https://someone-else.example');
    expect((await call('GET', `${t()}/connections/${bare.id}`, 200)).last_test).toMatchObject({ outcome: 'failed', reason: 'saml_audience_mismatch', received: { mapped: null } });

    await call('PATCH', path, 200, { name: 'Full (renamed)' });
    await call('DELETE', `${path}/sp-certificates/previous`, 200);
    const page = await call('GET', `${t()}/connections?limit=10`, 200);
    expect(page.data.length).toBeGreaterThanOrEqual(2);
  });

  it('an OIDC connection: with a client secret and Entra directories, and without either', async () => {
    const withSecret = await call('POST', `${t()}/connections`, 201, {
      name: 'Entra',
      protocol: 'oidc',
      oidc: { issuer: 'https://idp.example/v2.0', client_id: 'c1', client_secret: 'upstream-secret', entra_multi_tenant: true, allowed_entra_tenants: ['9b1c6f0e-2d3a-4c5b-8e7f-0a1b2c3d4e5f'] },
    });
    expect(withSecret.oidc).toMatchObject({ has_client_secret: true, allowed_entra_tenants: ['9b1c6f0e-2d3a-4c5b-8e7f-0a1b2c3d4e5f'] });
    expect(JSON.stringify(withSecret)).not.toContain('upstream-secret');
    const plain = await call('POST', `${t()}/connections`, 201, { name: 'Okta OIDC', protocol: 'oidc', oidc: { issuer: 'https://acme.okta.example', client_id: 'c2' } });
    expect(plain).toMatchObject({ saml: null, oidc: { has_client_secret: false, entra_multi_tenant: false, allowed_entra_tenants: [] } });
    await call('GET', `${t()}/connections/${plain.id}`, 200);
    const cleared = await call('PATCH', `${t()}/connections/${withSecret.id}`, 200, { oidc: { client_secret: null } });
    expect(cleared.oidc.has_client_secret).toBe(false);
  });

  it('a connection bound to a SCIM directory, its test result saying whom a sign-in would link to, and the refused deletion of its directory', async () => {
    const directory = await call('POST', `${t()}/scim/directories`, 201, { name: 'Okta employees' });
    const bound = await call('POST', `${t()}/connections`, 201, { name: 'Bound', protocol: 'saml', directory_id: directory.id, saml: { metadata_xml: idp.metadataXml() } });
    expect(bound.directory_id).toBe(directory.id);
    await testLogin(bound.id);
    const tested = await call('GET', `${t()}/connections/${bound.id}`, 200);
    expect(tested.last_test.received.link).toMatchObject({ outcome: 'refused', reason: 'user_not_provisioned', directory_id: null });
    const refused = await call('DELETE', `${t()}/scim/directories/${directory.id}`, 409);
    expect(refused).toMatchObject({ code: 'directory_in_use', details: { connections: [bound.id] } });
    expect((await call('PATCH', `${t()}/connections/${bound.id}`, 200, { directory_id: null })).directory_id).toBeNull();
  });

  it('tenants, API keys, apps, domains, SSO settings, audit events, SCIM directories, tokens, normalisations and group mappings', async () => {
    await call('GET', t(), 200);
    await call('GET', '/tenants', 200);
    await call('PATCH', t(), 200, { name: 'Acme Inc' });

    const key = await call('POST', `${t()}/api-keys`, 201, { name: 'reader', scopes: ['authz:read'] });
    await call('GET', `${t()}/api-keys`, 200);
    await call('GET', `${t()}/api-keys/${key.id}`, 200);
    await call('DELETE', `${t()}/api-keys/${key.id}`, 200);

    const created = await call('POST', `${t()}/apps`, 201, { name: 'Backend', grant_types: ['client_credentials'], authz_scopes: ['authz:read'] });
    await call('GET', `${t()}/apps/${created.id}`, 200);
    await call('GET', `${t()}/apps`, 200);
    await call('PATCH', `${t()}/apps/${created.id}`, 200, { name: 'Backend (prod)' });
    await call('POST', `${t()}/apps/${created.id}/rotate-secret`, 200);

    const domain = await call('POST', `${t()}/domains`, 201, { domain: 'acme.test' });
    await call('POST', `${t()}/domains/${domain.id}/verify`, 422);
    env.txt.set(domain.verification.name, [[domain.verification.value]]);
    await call('POST', `${t()}/domains/${domain.id}/verify`, 200);
    await call('GET', `${t()}/domains`, 200);
    await call('GET', `${t()}/sso-settings`, 200);
    await call('PUT', `${t()}/sso-settings`, 200, { jit_provisioning: true });

    const directory = await call('POST', `${t()}/scim/directories`, 201, { name: 'Okta' });
    await call('GET', `${t()}/scim/directories`, 200);
    await call('GET', `${t()}/scim/directories/${directory.id}`, 200);
    const token = await call('POST', `${t()}/scim/directories/${directory.id}/tokens`, 201, { name: 'Okta' });
    const scim = (method: string, p: string, body?: unknown) =>
      fetch(`${env.direct}/scim/v2/${directory.id}${p}`, { method, headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/scim+json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    expect((await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Finance' })).status).toBe(201);
    expect((await scim('GET', '/Users?filter=externalId%20eq%20jyoung')).status).toBe(200);
    const normalisations = await call('GET', `${t()}/scim/directories/${directory.id}/normalisations`, 200);
    expect(normalisations.data.length).toBeGreaterThan(0);
    await call('POST', `${t()}/scim/group-mappings`, 201, { directory_id: directory.id, group_display_name: 'Finance', relation: 'viewer' });
    await call('GET', `${t()}/scim/group-mappings`, 200);
    await call('GET', `${t()}/scim/directories/${directory.id}/tokens`, 200);
    await call('DELETE', `${t()}/scim/directories/${directory.id}/tokens/${token.id}`, 200);

    await call('GET', `${t()}/audit?limit=200`, 200);
    await call('GET', `${t()}/connections/conn_missing`, 404);
  });
});
