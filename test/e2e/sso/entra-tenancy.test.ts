import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';

const TID = '9b1c6f0e-2d3a-4c5b-8e7f-0a1b2c3d4e5f';

/**
 * Entra ID's shared endpoints (`/organizations`, `/common`, `/consumers`) sign in users of any
 * Entra directory: a connection to one must name the directories it accepts, or a user of any
 * Microsoft customer could sign in to the tenant.
 */
describe('Entra ID multi-tenant OIDC connections must name the directories they accept', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  const path = () => `/admin/v1/tenants/${tenant.id}/connections`;
  const entra = (oidc: Record<string, unknown>) => ({ name: 'Entra ID', protocol: 'oidc', attribute_preset: 'entra', oidc: { client_id: 'app', client_secret: 's', ...oidc } });

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('First Bank', 'first-bank');
  });
  afterAll(() => env?.close());

  it('refuses the shared organizations, common and consumers issuers without entra_multi_tenant, naming the fields to set', async () => {
    for (const issuer of ['https://login.microsoftonline.com/organizations/v2.0', 'https://login.microsoftonline.com/common/v2.0', 'https://login.microsoftonline.us/consumers/v2.0']) {
      const r = await env.api('POST', path(), entra({ issuer }));
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'invalid_connection', message: expect.stringMatching(/entra_multi_tenant.*allowed_entra_tenants/) });
    }
    expect((await env.ok('GET', path())).data).toEqual([]);
    expect(env.audit(tenant.id, 'sso.connection.created')).toHaveLength(0);
  });

  it('refuses entra_multi_tenant with an empty allowed_entra_tenants, which would accept every directory', async () => {
    const r = await env.api('POST', path(), entra({ issuer: 'https://login.microsoftonline.com/organizations/v2.0', entra_multi_tenant: true }));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'invalid_connection', message: expect.stringMatching(/allowed_entra_tenants/) });
    const created = await env.ok('POST', path(), entra({ issuer: 'https://login.microsoftonline.com/organizations/v2.0', entra_multi_tenant: true, allowed_entra_tenants: [TID] }));
    const emptied = await env.api('PATCH', `${path()}/${created.id}`, { oidc: { allowed_entra_tenants: [] } });
    expect(emptied.status).toBe(400);
    expect((await env.ok('GET', `${path()}/${created.id}`)).oidc.allowed_entra_tenants).toEqual([TID]);
  });

  it('says an allowed Entra tenant must be the directory id (a GUID), not its domain name', async () => {
    const r = await env.api('POST', path(), entra({ issuer: 'https://login.microsoftonline.com/organizations/v2.0', entra_multi_tenant: true, allowed_entra_tenants: ['contoso.onmicrosoft.com'] }));
    expect(r.status).toBe(400);
    expect(r.body.details).toEqual([expect.objectContaining({ path: 'oidc.allowed_entra_tenants.0', message: expect.stringMatching(/directory \(tenant\) id.*Tenant ID.*not a domain name/) })]);
  });

  it('accepts a single-directory Entra issuer and any other IdP as before', async () => {
    await env.ok('POST', path(), entra({ issuer: `https://login.microsoftonline.com/${TID}/v2.0` }));
    await env.ok('POST', path(), { name: 'Okta', protocol: 'oidc', oidc: { issuer: 'https://acme.okta.com/common', client_id: 'a' } });
  });

  it('will not activate a shared-endpoint connection saved before the rule until it names its directories', async () => {
    const conn = await env.ok('POST', path(), entra({ issuer: 'https://login.microsoftonline.com/organizations/v2.0', entra_multi_tenant: true, allowed_entra_tenants: [TID] }));
    env.services.storage.sql.prepare("UPDATE sso_oidc_settings SET allowed_entra_tenants = '' WHERE connection_id = ?").run(conn.id);
    const r = await env.api('PATCH', `${path()}/${conn.id}`, { status: 'active' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'invalid_connection', message: expect.stringMatching(/allowed_entra_tenants/) });
    expect((await env.ok('GET', `${path()}/${conn.id}`)).status).toBe('testing');
    const fixed = await env.ok('PATCH', `${path()}/${conn.id}`, { status: 'active', oidc: { allowed_entra_tenants: [TID] } });
    expect(fixed).toMatchObject({ status: 'active', oidc: { allowed_entra_tenants: [TID] } });
  });
});
