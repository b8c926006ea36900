import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { LogoutReceiver } from '../../helpers/logout-receiver.ts';
import { OPENFGA_MISSING_REASON, OpenFgaServer, requireOpenFgaBinary } from '../../helpers/openfga-server.ts';
import { SCIM_GROUP, SCIM_USER, adminCall, adminOk, appCheck, exchange, expectInOrder, exportedAudit, patchOp, scimClient, type ScimCall } from './support.ts';

const OKTA_METADATA_URL = 'https://acme.okta.com/app/exk1acme/sso/saml/metadata';
const openfgaBin = requireOpenFgaBinary();

/**
 * A customer's life with the product, as the README and docs/sso.md, docs/scim.md, docs/authz.md
 * tell each party to do it: the platform creates the tenant and hands its IT admin a key; the IT
 * admin verifies the domain, connects Okta (SAML from its metadata URL, test login, activate),
 * connects Okta's SCIM provisioning and maps a pushed group to a role; the app signs people in
 * (code + PKCE) and asks the authorization API with a client-credentials token; Okta later takes
 * the group away and deactivates the person, and the audit log tells the story. Once on the
 * embedded authorization engine, once on a real OpenFGA server (where revocations have a remote
 * part that must also be done before the SCIM response).
 */
describe.each([
  { backend: 'embedded', skip: false },
  { backend: 'openfga', skip: !openfgaBin },
])('scenario: Okta onboarding, day one to offboarding ($backend authorization backend)', ({ backend, skip }) => {
  if (skip) return void it.skip(`needs the OpenFGA server: ${OPENFGA_MISSING_REASON}`);
  let fga: OpenFgaServer | undefined;
  let env: SsoEnv;
  const idp = new TestSamlIdp('http://www.okta.com/exk1acme', 'https://acme.okta.com/app/acme_b2b/exk1acme/sso/saml');
  const fetchedMetadata: string[] = [];
  let receiver: LogoutReceiver;
  let tenant: { id: string; slug: string };
  let adminKey: string;
  let connection: any;
  let okta: ScimCall;
  let app: { client_id: string; client_secret: string };
  let rp: client.Configuration;
  let alice: { id: string };
  let bob: { id: string };
  let group: { id: string };
  let session: { refresh: string; access: string };
  const admin = <T = any>(method: string, path: string, body?: unknown) => adminOk<T>(env.base, adminKey, method, path, body);

  beforeAll(async () => {
    if (backend === 'openfga') fga = await OpenFgaServer.start(openfgaBin as string);
    env = await SsoEnv.start({
      config: fga ? { authz: 'openfga', openfgaUrl: fga.url } : {},
      sso: {
        metadataFetcher: async (url) => {
          fetchedMetadata.push(url);
          return idp.metadataXml();
        },
      },
    });
    receiver = await new LogoutReceiver().start(`${env.base}/oidc`);
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
    await env?.close();
    await fga?.stop();
  });

  it('day one: the platform creates the tenant and gives its IT admin a tenant key with the admin scope', async () => {
    tenant = await env.ok('POST', '/admin/v1/tenants', { name: 'Acme Corp' });
    expect(tenant.slug).toBe('acme-corp');
    const key = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/api-keys`, { name: 'Acme IT', scopes: ['admin'] });
    expect(key.key).toMatch(/^ptc_key_/);
    adminKey = key.key;
    // The IT admin's key reaches its tenant and nothing else.
    expect((await adminCall(env.base, adminKey, 'POST', '/tenants', { name: 'Mine' })).status).toBe(403);
    expect((await admin('GET', `/tenants/${tenant.slug}`)).id).toBe(tenant.id);
  });

  it('the IT admin verifies acme.com by publishing the TXT record it is given', async () => {
    const domain = await admin('POST', `/tenants/${tenant.id}/domains`, { domain: 'acme.com' });
    expect(domain.verification).toMatchObject({ type: 'TXT', name: '_portcullis-verification.acme.com' });
    const early = await adminCall(env.base, adminKey, 'POST', `/tenants/${tenant.id}/domains/${domain.id}/verify`);
    expect([early.status, early.body.code]).toEqual([422, 'domain_not_verified']);
    env.txt.set(domain.verification.name, [[domain.verification.value]]);
    expect(await admin('POST', `/tenants/${tenant.id}/domains/${domain.id}/verify`)).toMatchObject({ verified: true });
  });

  it('connects Okta SAML from its metadata URL: the connection starts in testing and gives Okta the SP details', async () => {
    connection = await admin('POST', `/tenants/${tenant.id}/connections`, {
      name: 'Okta',
      protocol: 'saml',
      attribute_preset: 'okta',
      group_mappings: [{ idp_group: 'Everyone', relation: 'member' }],
      saml: { metadata_url: OKTA_METADATA_URL },
    });
    expect(fetchedMetadata).toEqual([OKTA_METADATA_URL]);
    expect(connection.status).toBe('testing');
    const got = await admin('GET', `/tenants/${tenant.id}/connections/${connection.id}`);
    const sp = got.saml.sp;
    expect(sp.acs_url).toBe(`${env.base}/sso/saml/${connection.id}/acs`);
    expect(sp.metadata_url).toBe(`${env.base}/sso/saml/${connection.id}/metadata`);
    const spMetadata = await (await fetch(sp.metadata_url)).text();
    expect(spMetadata).toContain(`entityID="${sp.entity_id}"`);
    expect(spMetadata).toContain(sp.acs_url);
    expect(spMetadata).toContain(sp.certificate.replace(/-----[A-Z ]+-----|\s/g, '').slice(0, 64));
  });

  it("runs the admin's test login and activates the connection; nobody signs in through it before that", async () => {
    app = await admin('POST', `/tenants/${tenant.id}/apps`, {
      name: 'Acme web app',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      authz_scopes: ['authz:read'],
      redirect_uris: ['http://127.0.0.1:9/callback'],
      post_logout_redirect_uris: ['http://127.0.0.1:9/'],
      backchannel_logout_uri: receiver.url,
    });
    expect(app.client_secret).toMatch(/^ptc_app_/);
    receiver.audience = app.client_id;
    rp = await env.rp(app);
    const early = await env.samlLogin(new Browser(), rp, idp, { login_hint: 'alice@acme.com' }, () => ({}));
    expect(early.landed).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('no_active_connection');

    const { url } = await admin('POST', `/tenants/${tenant.id}/connections/${connection.id}/test-login`);
    expect(url.startsWith(idp.ssoUrl)).toBe(true);
    const req = TestSamlIdp.readAuthnRequest(url);
    expect(req.acs).toBe(connection.saml.sp.acs_url);
    expect(req.issuer).toBe(connection.saml.sp.entity_id);
    const page = await new Browser().request(req.acs, {
      form: {
        RelayState: req.relayState,
        SAMLResponse: idp.response({ recipient: req.acs, audience: req.issuer, inResponseTo: req.id, nameId: 'it.admin@acme.com', attributes: { email: 'it.admin@acme.com', firstName: 'Ivy', lastName: 'Tan', groups: ['Everyone'] } }),
      },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('it.admin@acme.com');
    expect((await admin('GET', `/tenants/${tenant.id}/connections/${connection.id}`)).last_test).toMatchObject({ outcome: 'succeeded' });
    expect((await admin('PATCH', `/tenants/${tenant.id}/connections/${connection.id}`, { status: 'active' })).status).toBe('active');
  });

  it("connects Okta's SCIM provisioning: the user and the group it pushes arrive, the password is discarded", async () => {
    const token = await admin('POST', `/tenants/${tenant.id}/scim/tokens`, { name: 'Okta provisioning' });
    expect(token.base_url).toMatch(new RegExp(`^${env.base}/scim/v2/`));
    okta = scimClient(token.base_url, token.token, 'Okta SCIM Client 1.0.0');
    const lookup = await okta('GET', `/Users?filter=${encodeURIComponent('userName eq "alice@acme.com"')}&startIndex=1&count=100`);
    expect(lookup.body.totalResults).toBe(0);
    const created = await okta('POST', '/Users', {
      schemas: [SCIM_USER],
      userName: 'alice@acme.com',
      name: { givenName: 'Alice', familyName: 'Archer' },
      emails: [{ primary: true, value: 'alice@acme.com', type: 'work' }],
      displayName: 'Alice Archer',
      externalId: '00u1alice',
      groups: [],
      password: 'Okta-synced-1',
      active: true,
    });
    expect(created.status).toBe(201);
    alice = created.body;
    bob = (await okta('POST', '/Users', { schemas: [SCIM_USER], userName: 'bob@acme.com', externalId: '00u1bob', name: { givenName: 'Bob', familyName: 'Baker' }, emails: [{ primary: true, value: 'bob@acme.com', type: 'work' }], active: true })).body;
    const pushed = await okta('POST', '/Groups', { schemas: [SCIM_GROUP], displayName: 'Acme Admins', members: [] });
    expect(pushed.status).toBe(201);
    group = pushed.body;
    const add = await okta('PATCH', `/Groups/${group.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: alice.id, display: 'alice@acme.com' }, { value: bob.id, display: 'bob@acme.com' }] }));
    expect(add.status).toBe(204);
    const dir = token.base_url.split('/').pop();
    const records = await admin('GET', `/tenants/${tenant.id}/scim/directories/${dir}/normalisations`);
    expect(records.data.map((r: { rule: string; dialect: string }) => `${r.dialect}:${r.rule}`)).toContain('okta:password_discarded');
    // The admin maps the pushed group to a role on the organization (docs/scim.md).
    const mapping = await admin('POST', `/tenants/${tenant.id}/scim/group-mappings`, { directory_id: dir, group_display_name: 'Acme Admins', relation: 'admin' });
    expect(mapping).toMatchObject({ group_id: group.id, relation: 'admin' });
  });

  it('signs Alice in through the app by her email (code + PKCE): the ID token says what the docs say it says', async () => {
    const flow = await env.samlLogin(new Browser(), rp, idp, { login_hint: 'alice@acme.com' }, () => ({
      nameId: 'alice@acme.com',
      attributes: { email: 'alice@acme.com', firstName: 'Alice', lastName: 'Archer', groups: ['Everyone', 'Acme Admins'] },
    }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    const tokens = await exchange(rp, flow.landed, flow);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      sub: alice.id,
      email: 'alice@acme.com',
      name: 'Alice Archer',
      given_name: 'Alice',
      family_name: 'Archer',
      org_id: tenant.id,
      org_slug: 'acme-corp',
      amr: ['pwd'],
      acr: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
      connection_id: connection.id,
    });
    expect([...(claims.groups as string[])].sort()).toEqual(['Acme Admins', 'Everyone']);
    expect(typeof claims.auth_time).toBe('number');
    expect(tokens.refresh_token).toBeTruthy();
    session = { refresh: tokens.refresh_token as string, access: tokens.access_token };
    // Linked by her verified email (the NameID is her email, Okta's SCIM externalId its user id):
    // what Okta provisioned is left as it was, so its next lookups still find her.
    const again = await okta('GET', `/Users?filter=${encodeURIComponent('externalId eq "00u1alice"')}`);
    expect(again.body.Resources.map((u: { id: string }) => u.id)).toEqual([alice.id]);
  });

  it("answers the app's authorization checks with a client-credentials token: the SCIM group's role and the SSO group's role show", async () => {
    const { access_token, expires_in } = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    expect(expires_in).toBe(600);
    const org = `organization:${tenant.id}`;
    expect(await appCheck(env.base, access_token, { user: `user:${alice.id}`, relation: 'admin', object: org })).toBe(true);
    expect(await appCheck(env.base, access_token, { user: `user:${alice.id}`, relation: 'member', object: org })).toBe(true);
    expect(await appCheck(env.base, access_token, { user: `user:${alice.id}`, relation: 'owner', object: org })).toBe(false);
  });

  it('Okta takes Alice out of the group: the admin role goes with the SCIM response, her session stays', async () => {
    const removed = await okta('PATCH', `/Groups/${group.id}`, patchOp({ op: 'remove', path: `members[value eq "${alice.id}"]` }));
    expect(removed.status).toBe(204);
    const { access_token } = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    const org = `organization:${tenant.id}`;
    expect(await appCheck(env.base, access_token, { user: `user:${alice.id}`, relation: 'admin', object: org })).toBe(false);
    expect(await appCheck(env.base, access_token, { user: `user:${bob.id}`, relation: 'admin', object: org })).toBe(true);
    expect(await appCheck(env.base, access_token, { user: `user:${alice.id}`, relation: 'member', object: org })).toBe(true);
    expect((await client.tokenIntrospection(rp, session.access)).active).toBe(true);
  });

  it('Okta deactivates Alice: before the SCIM response returns, the app got its logout token and every credential is dead', async () => {
    const before = receiver.tokens.length;
    const off = await okta('PATCH', `/Users/${alice.id}`, patchOp({ op: 'replace', value: { active: false } }));
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(receiver.tokens.slice(before).map((t) => t.sub)).toEqual([alice.id]);
    await expect(client.refreshTokenGrant(rp, session.refresh)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(rp, session.access)).active).toBe(false);
    const { access_token } = await client.clientCredentialsGrant(rp, { scope: 'authz:read' });
    expect(await appCheck(env.base, access_token, { user: `user:${alice.id}`, relation: 'member', object: `organization:${tenant.id}` })).toBe(false);
    expect(await appCheck(env.base, access_token, { user: `user:${bob.id}`, relation: 'admin', object: `organization:${tenant.id}` })).toBe(true);
    // No tuple of hers is left in the store (invariant 5), as the app reads it.
    const store = (await env.ok('GET', `/admin/v1/tenants/${tenant.id}`)).authz_store_id;
    const read = await fetch(`${env.base}/stores/${store}/read`, { method: 'POST', headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ tuple_key: { user: `user:${alice.id}`, object: 'organization:' } }) });
    expect(((await read.json()) as { tuples: unknown[] }).tuples).toEqual([]);
    // And she cannot sign in again through Okta.
    const again = await env.samlLogin(new Browser(), rp, idp, { login_hint: 'alice@acme.com' }, () => ({ nameId: 'alice@acme.com', attributes: { email: 'alice@acme.com' } }));
    expect(again.landed).toMatch(/\/callback\?error=access_denied/);
  });

  it('the audit log, exported by the IT admin, tells the whole story in order, and its chain verifies', async () => {
    const { events, verdict } = await exportedAudit(env.base, adminKey, tenant.id);
    expect(verdict).toMatchObject({ ok: true });
    expectInOrder(events.map((e) => e.action), [
      'tenant.created',
      'api_key.created',
      'sso.domain.added',
      'sso.domain.verification_failed',
      'sso.domain.verified',
      'sso.connection.created',
      'oidc.app.created',
      'sso.login.failed',
      'sso.connection.test_succeeded',
      'sso.connection.updated',
      'scim.token.created',
      'directory.user.created',
      'directory.group.created',
      'directory.group.members_added',
      'directory.group_mapping.created',
      'sso.user.linked',
      'sso.groups.mapped',
      'sso.login.succeeded',
      'directory.group.members_removed',
      'directory.user.deactivated',
      'session.revoked',
      'directory.user.deprovisioned',
      'sso.login.failed',
    ]);
    const deprovisioned = events.find((e) => e.action === 'directory.user.deprovisioned');
    expect(deprovisioned.target).toEqual({ type: 'user', id: alice.id });
    const everything = { reason: 'scim_deactivated', revoked: { authz_tuples: 1, sessions: 1, refresh_tokens: 1, grants: 1 }, total: 4 };
    if (backend === 'embedded') expect(deprovisioned.metadata).toEqual(everything);
    else {
      // On OpenFGA the tuples are deleted by the flush, still before the SCIM response; the final
      // counts follow in their own event (docs/scim.md, Deprovisioning).
      expect(deprovisioned.metadata).toEqual({ ...everything, revoked: { ...everything.revoked, authz_tuples: 0 }, total: 3 });
      const completed = events.filter((e) => e.action === 'directory.user.deprovision_completed');
      expect(completed.map((e) => [e.target.id, e.metadata])).toEqual([[alice.id, everything]]);
      expect(events.indexOf(completed[0])).toBeGreaterThan(events.indexOf(deprovisioned));
    }
    const byScim = events.filter((e) => e.action.startsWith('directory.'));
    expect(new Set(byScim.map((e) => e.actor.type))).toEqual(new Set(['scim_token', 'tenant_key']));
    expect(events.at(-1).metadata?.reason).toBe('user_deactivated');
    // "What happened to Alice?", newest first, as the admin API filters it.
    const aboutAlice = await admin('GET', `/tenants/${tenant.id}/audit?target_id=${alice.id}&limit=200`);
    expect(aboutAlice.data.map((e: { action: string }) => e.action)).toEqual([
      ...(backend === 'openfga' ? ['directory.user.deprovision_completed'] : []),
      'directory.user.deprovisioned',
      'directory.user.deactivated',
      'directory.user.updated',
      'sso.login.succeeded',
      'sso.groups.mapped',
      'sso.user.linked',
      'directory.user.created',
    ]);
  });
});
