import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';
import { SCIM_GROUP, SCIM_USER, adminCall, adminOk, appCheck, exchange, patchOp, scimClient, type ScimCall } from './support.ts';

const ENTRA_APP_ID = '6b1e2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b';
const TID = 'b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e';
const CALLBACK = 'http://127.0.0.1:9/';

/**
 * Contoso on Microsoft Entra ID: Entra's provisioning pushes people and groups over SCIM (with
 * `?aadOptscim062020`), the IT admin maps a SCIM group to a role on the organization
 * (docs/scim.md, Groups in the authorization store), a member signs in through Entra over OIDC,
 * and the app's Check sees the role through the group's userset. Entra takes the person out of
 * the group: the role goes at once, the session stays. Entra deletes the group: the mapping's
 * tuple goes with it. Entra's nested groups are not provisioned (docs/scim.md: members are users).
 */
describe('scenario: Entra SCIM groups mapped to roles, with Entra OIDC sign-in', () => {
  let env: SsoEnv;
  let entra: OAuth2Server;
  let entraClaims: Record<string, unknown> = {};
  let tenant: { id: string; authz_store_id: string };
  let key: string;
  let scim: ScimCall;
  let dir: string;
  let rp: client.Configuration;
  let cc: string;
  const ids = { nora: '', omar: '', finance: '', emea: '', mapping: '' };
  let session: { access: string; refresh: string };
  const admin = <T = any>(method: string, path: string, body?: unknown) => adminOk<T>(env.base, key, method, path, body);
  const org = () => `organization:${tenant.id}`;

  beforeAll(async () => {
    entra = await startUpstreamIdp(() => ({ aud: ENTRA_APP_ID, ...entraClaims }));
    env = await SsoEnv.start();
  });
  afterAll(async () => {
    await env?.close();
    await entra?.stop();
  });

  it('the IT admin verifies contoso.com, connects Entra ID over OIDC and Entra provisioning over SCIM', async () => {
    tenant = await env.tenant('Contoso', 'contoso');
    key = (await env.ok('POST', `/admin/v1/tenants/${tenant.id}/api-keys`, { name: 'Contoso IT', scopes: ['admin'] })).key;
    const domain = await admin('POST', `/tenants/${tenant.id}/domains`, { domain: 'contoso.com' });
    env.txt.set(domain.verification.name, [[domain.verification.value]]);
    await admin('POST', `/tenants/${tenant.id}/domains/${domain.id}/verify`);
    const conn = await admin('POST', `/tenants/${tenant.id}/connections`, {
      name: 'Entra ID', protocol: 'oidc', attribute_preset: 'entra',
      oidc: { issuer: entra.issuer.url, client_id: ENTRA_APP_ID, client_secret: 'entra-secret', scopes: 'openid email profile' },
    });
    await admin('PATCH', `/tenants/${tenant.id}/connections/${conn.id}`, { status: 'active' });
    const token = await admin('POST', `/tenants/${tenant.id}/scim/tokens`, { name: 'Entra provisioning' });
    dir = token.base_url.split('/').pop();
    scim = scimClient(`${token.base_url}?aadOptscim062020`, token.token, 'Microsoft.Identity.Provisioning');
    const app = await admin('POST', `/tenants/${tenant.id}/apps`, { name: 'Contoso app', grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], authz_scopes: ['authz:read'], redirect_uris: [`${CALLBACK}callback`] });
    rp = await env.rp(app);
    cc = (await client.clientCredentialsGrant(rp, { scope: 'authz:read' })).access_token;
  });

  it('Entra pushes the people and the groups with their members; a nested group is refused and changes nothing', async () => {
    const person = async (userName: string, oid: string, given: string) => {
      const r = await scim('POST', '/Users', { schemas: [SCIM_USER], externalId: oid, userName, active: true, emails: [{ primary: true, type: 'work', value: userName }], name: { givenName: given, familyName: 'Contoso' } });
      expect(r.status).toBe(201);
      return r.body.id as string;
    };
    ids.nora = await person('nora@contoso.com', 'oid-nora', 'Nora');
    ids.omar = await person('omar@contoso.com', 'oid-omar', 'Omar');
    const finance = await scim('POST', '/Groups', { schemas: [SCIM_GROUP], displayName: 'Finance', externalId: 'grp-finance', members: [{ value: ids.nora }, { value: ids.omar }] });
    expect(finance.status).toBe(201);
    ids.finance = finance.body.id;
    const emea = await scim('POST', '/Groups', { schemas: [SCIM_GROUP], displayName: 'EMEA Finance', externalId: 'grp-emea', members: [] });
    ids.emea = emea.body.id;
    // Entra nests a group into another: refused (members are users), both groups as they were.
    const nested = await scim('PATCH', `/Groups/${ids.emea}`, patchOp({ op: 'add', path: 'members', value: [{ value: ids.finance }] }));
    expect([nested.status, nested.body?.scimType]).toEqual([400, 'invalidValue']);
    const typed = await scim('PATCH', `/Groups/${ids.emea}`, patchOp({ op: 'add', path: 'members', value: [{ value: ids.finance, type: 'Group' }] }));
    expect([typed.status, typed.body?.scimType]).toEqual([400, 'invalidValue']);
    expect((await scim('GET', `/Groups/${ids.emea}`)).body.members ?? []).toEqual([]);
  });

  it('the admin maps the SCIM group to admin on the organization: the role shows through the group userset', async () => {
    const mapping = await admin('POST', `/tenants/${tenant.id}/scim/group-mappings`, { directory_id: dir, group_display_name: 'Finance', relation: 'admin' });
    expect(mapping).toMatchObject({ group_id: ids.finance, relation: 'admin' });
    ids.mapping = mapping.id;
    expect((await admin('GET', `/tenants/${tenant.id}/scim/group-mappings`)).data.map((m: { id: string }) => m.id)).toEqual([ids.mapping]);
    expect(await appCheck(env.base, cc, { user: `user:${ids.nora}`, relation: 'admin', object: org() })).toBe(true);
    const read = await fetch(`${env.base}/stores/${tenant.authz_store_id}/read`, { method: 'POST', headers: { authorization: `Bearer ${cc}`, 'content-type': 'application/json' }, body: JSON.stringify({ tuple_key: { user: `group:${ids.finance}#member`, object: 'organization:' } }) });
    expect(((await read.json()) as { tuples: { key: unknown }[] }).tuples.map((t) => t.key)).toEqual([{ user: `group:${ids.finance}#member`, relation: 'admin', object: org() }]);
  });

  it('Nora signs in through Entra over OIDC and is linked to her provisioned user by her object id', async () => {
    entraClaims = { sub: 'pairwise-nora', oid: 'oid-nora', tid: TID, email: 'nora@contoso.com', name: 'Nora Contoso' };
    const flow = await authorizationRequest(rp, { login_hint: 'nora@contoso.com' });
    const done = await new Browser().follow(flow.url.toString(), (l) => l.startsWith(CALLBACK));
    expect(done.url).toMatch(/\/callback\?code=/);
    const tokens = await exchange(rp, done.url, { ...flow });
    expect(tokens.claims()).toMatchObject({ sub: ids.nora, org_id: tenant.id, email: 'nora@contoso.com', groups: ['Finance'] });
    session = { access: tokens.access_token, refresh: tokens.refresh_token! };
    expect(await appCheck(env.base, cc, { user: `user:${ids.nora}`, relation: 'admin', object: org() })).toBe(true);
  });

  it('Entra takes Nora out of Finance: the check flips with the SCIM response, her session continues', async () => {
    const removed = await scim('PATCH', `/Groups/${ids.finance}`, patchOp({ op: 'remove', path: `members[value eq "${ids.nora}"]` }));
    expect(removed.status).toBe(204);
    expect(await appCheck(env.base, cc, { user: `user:${ids.nora}`, relation: 'admin', object: org() })).toBe(false);
    expect(await appCheck(env.base, cc, { user: `user:${ids.omar}`, relation: 'admin', object: org() })).toBe(true);
    expect((await client.tokenIntrospection(rp, session.access)).active).toBe(true);
    const refreshed = await client.refreshTokenGrant(rp, session.refresh);
    expect(refreshed.access_token).toBeTruthy();
  });

  it('Entra deletes the Finance group: its mapping tuple is gone and nobody keeps the role', async () => {
    const del = await scim('DELETE', `/Groups/${ids.finance}`);
    expect(del.status).toBe(204);
    expect(await appCheck(env.base, cc, { user: `user:${ids.omar}`, relation: 'admin', object: org() })).toBe(false);
    const read = await fetch(`${env.base}/stores/${tenant.authz_store_id}/read`, { method: 'POST', headers: { authorization: `Bearer ${cc}`, 'content-type': 'application/json' }, body: JSON.stringify({ tuple_key: { user: `group:${ids.finance}#member`, object: 'organization:' } }) });
    expect(((await read.json()) as { tuples: unknown[] }).tuples).toEqual([]);
    const after = await adminCall(env.base, key, 'GET', `/tenants/${tenant.id}/scim/group-mappings`);
    expect(after.body.data.map((m: { id: string }) => m.id)).not.toContain(ids.mapping);
    // A group pushed again under the same name is a new group: it does not inherit the role.
    const again = await scim('POST', '/Groups', { schemas: [SCIM_GROUP], displayName: 'Finance', members: [{ value: ids.omar }] });
    expect(again.status).toBe(201);
    expect(await appCheck(env.base, cc, { user: `user:${ids.omar}`, relation: 'admin', object: org() })).toBe(false);
  });
});
