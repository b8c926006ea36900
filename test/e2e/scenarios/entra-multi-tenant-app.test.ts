import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';
import { SCIM_GROUP, SCIM_USER, adminCall, adminOk, exchange, patchOp, scimClient, type ScimCall } from './support.ts';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CONTOSO_TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CALLBACK = 'http://127.0.0.1:9/';
const ENTRA_APP_ID = '3f2a9c4e-8b1d-4e6f-9a0b-5c7d8e9f0a1b';

/**
 * One B2B app serving two customers: Acme on Okta (SAML) and Contoso on Microsoft Entra ID
 * (OIDC, here oauth2-mock-server through the upstream IdP helper). The platform registers the
 * app once (multi-tenant); each IT admin connects their own IdP and SCIM. People are routed by
 * their email's domain, land in their own organization, and a session never crosses tenants; a
 * contractor provisioned by both customers with one email address is two separate users.
 */
describe('scenario: Entra ID over OIDC and Okta over SAML behind one multi-tenant app', () => {
  let env: SsoEnv;
  let entra: OAuth2Server;
  let entraClaims: Record<string, unknown> = {};
  const okta = new TestSamlIdp('http://www.okta.com/exk1acme', 'https://acme.okta.com/app/b2b/exk1acme/sso/saml');
  const acme = { id: '', key: '', connection: '' };
  const contoso = { id: '', key: '', connection: '', entraScim: undefined as unknown as ScimCall, entraUnflagged: undefined as unknown as ScimCall };
  let acmeScim: ScimCall;
  let app: { id: string; client_id: string; client_secret: string };
  let rp: client.Configuration;
  const people = { alice: '', bob: '', carolAcme: '', carolContoso: '' };

  beforeAll(async () => {
    // Entra's application ids are GUIDs. openid-client form-encodes the client id in HTTP Basic
    // ('-' as %2D, RFC 6749 §2.3.1) and Entra decodes it; oauth2-mock-server does not, so the
    // audience it would write is set as Entra writes it.
    entra = await startUpstreamIdp(() => ({ aud: ENTRA_APP_ID, ...entraClaims }));
    env = await SsoEnv.start();
  });
  afterAll(async () => {
    await env?.close();
    await entra?.stop();
  });

  const as = (t: { key: string }) => ({
    ok: <T = any>(method: string, path: string, body?: unknown) => adminOk<T>(env.base, t.key, method, path, body),
    call: <T = any>(method: string, path: string, body?: unknown) => adminCall<T>(env.base, t.key, method, path, body),
  });

  /** The app's sign-in, followed through whatever IdP the request goes to, back to the app. */
  async function viaEntra(params: Record<string, string>, browser = new Browser()) {
    const flow = await authorizationRequest(rp, params);
    const done = await browser.follow(flow.url.toString(), (l) => l.startsWith(CALLBACK));
    return { ...flow, landed: done.url, browser };
  }

  it('the platform creates both tenants and registers the B2B app once, for every tenant', async () => {
    for (const [t, name, slug] of [[acme, 'Acme', 'acme'], [contoso, 'Contoso', 'contoso']] as const) {
      t.id = (await env.tenant(name, slug)).id;
      t.key = (await env.ok('POST', `/admin/v1/tenants/${t.id}/api-keys`, { name: `${name} IT`, scopes: ['admin'] })).key;
    }
    app = await env.ok('POST', `/admin/v1/tenants/${acme.id}/apps`, {
      name: 'B2B app',
      multi_tenant: true,
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [`${CALLBACK}callback`],
    });
    rp = await env.rp(app);
    // A tenant admin cannot register one.
    const refused = await as(contoso).call('POST', `/tenants/${contoso.id}/apps`, { name: 'x', multi_tenant: true, grant_types: ['authorization_code'], redirect_uris: [`${CALLBACK}callback`] });
    expect([refused.status, refused.body.code]).toEqual([403, 'platform_key_required']);
  });

  it("Acme's IT admin sees the app on its tenant but cannot change, re-key or delete what serves every tenant", async () => {
    const listed = await as(acme).ok('GET', `/tenants/${acme.id}/apps`);
    expect(listed.data.map((a: { client_id: string }) => a.client_id)).toContain(app.client_id);
    const path = `/tenants/${acme.id}/apps/${app.id}`;
    const attempts = [
      await as(acme).call('PATCH', path, { redirect_uris: ['https://attacker.example/callback'] }),
      await as(acme).call('POST', `${path}/rotate-secret`),
      await as(acme).call('DELETE', path),
    ];
    expect(attempts.map((r) => [r.status, r.body.code])).toEqual(Array(3).fill([403, 'platform_key_required']));
    expect((await env.ok('GET', `/admin/v1${path}`)).redirect_uris).toEqual([`${CALLBACK}callback`]);
    expect(env.audit(acme.id).filter((e) => e.target?.id === app.id).map((e) => e.action)).toEqual(['oidc.app.created']);
    // The platform still can.
    expect((await env.ok('PATCH', `/admin/v1${path}`, { name: 'B2B app (prod)' })).name).toBe('B2B app (prod)');
  });

  it("Acme's admin connects Okta SAML and Okta SCIM; Contoso's admin connects Entra ID over OIDC after a test login", async () => {
    const acmeDomain = await as(acme).ok('POST', `/tenants/${acme.id}/domains`, { domain: 'acme.com' });
    env.txt.set(acmeDomain.verification.name, [[acmeDomain.verification.value]]);
    await as(acme).ok('POST', `/tenants/${acme.id}/domains/${acmeDomain.id}/verify`);
    const samlConn = await as(acme).ok('POST', `/tenants/${acme.id}/connections`, { name: 'Okta', protocol: 'saml', attribute_preset: 'okta', saml: { metadata_xml: okta.metadataXml() } });
    acme.connection = samlConn.id;
    await as(acme).ok('PATCH', `/tenants/${acme.id}/connections/${samlConn.id}`, { status: 'active' });
    const acmeToken = await as(acme).ok('POST', `/tenants/${acme.id}/scim/tokens`, { name: 'Okta' });
    acmeScim = scimClient(acmeToken.base_url, acmeToken.token, 'Okta SCIM Client 1.0.0');

    const contosoDomain = await as(contoso).ok('POST', `/tenants/${contoso.id}/domains`, { domain: 'contoso.com' });
    env.txt.set(contosoDomain.verification.name, [[contosoDomain.verification.value]]);
    await as(contoso).ok('POST', `/tenants/${contoso.id}/domains/${contosoDomain.id}/verify`);
    // Contoso cannot take acme.com: without Acme's DNS it cannot publish the record, and even
    // with a record for it (DNS holds several TXT values) the domain stays Acme's.
    const claimed = await as(contoso).ok('POST', `/tenants/${contoso.id}/domains`, { domain: 'acme.com' });
    const notTheirs = await as(contoso).call('POST', `/tenants/${contoso.id}/domains/${claimed.id}/verify`);
    expect([notTheirs.status, notTheirs.body.code]).toEqual([422, 'domain_not_verified']);
    env.txt.set(acmeDomain.verification.name, [[acmeDomain.verification.value], [claimed.verification.value]]);
    const stolen = await as(contoso).call('POST', `/tenants/${contoso.id}/domains/${claimed.id}/verify`);
    expect([stolen.status, stolen.body.code]).toEqual([409, 'domain_claimed']);

    const oidcConn = await as(contoso).ok('POST', `/tenants/${contoso.id}/connections`, {
      name: 'Entra ID',
      protocol: 'oidc',
      attribute_preset: 'entra',
      oidc: { issuer: entra.issuer.url, client_id: ENTRA_APP_ID, client_secret: 'entra-client-secret', scopes: 'openid email profile' },
    });
    contoso.connection = oidcConn.id;
    expect(oidcConn.oidc.redirect_uri).toBe(`${env.base}/sso/oidc/${oidcConn.id}/callback`);
    entraClaims = { sub: 'pairwise-it', oid: 'oid-it-admin', tid: CONTOSO_TID, email: 'it@contoso.com', name: 'Iris Tech', groups: ['a9f3c1d0-0000-4000-8000-000000000001'] };
    const { url } = await as(contoso).ok('POST', `/tenants/${contoso.id}/connections/${oidcConn.id}/test-login`);
    const page = await new Browser().follow(url, () => false);
    expect(page.res?.status).toBe(200);
    expect(await page.res!.text()).toContain('it@contoso.com');
    expect((await as(contoso).ok('GET', `/tenants/${contoso.id}/connections/${oidcConn.id}`)).last_test).toMatchObject({ outcome: 'succeeded', received: { mapped: { external_id: 'oid-it-admin' } } });
    await as(contoso).ok('PATCH', `/tenants/${contoso.id}/connections/${oidcConn.id}`, { status: 'active' });
  });

  it("Entra provisions Contoso's people through the tenant URL with ?aadOptscim062020, PATCH quirks and all", async () => {
    const token = await as(contoso).ok('POST', `/tenants/${contoso.id}/scim/tokens`, { name: 'Entra provisioning' });
    contoso.entraScim = scimClient(`${token.base_url}?aadOptscim062020`, token.token, 'Microsoft.Identity.Provisioning');
    const scim = contoso.entraScim;
    // Entra's Test Connection: a filter for a user that does not exist.
    const probe = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "5a1f4c2e-provisioning-test"')}`);
    expect([probe.status, probe.body.totalResults]).toEqual([200, 0]);
    const push = async (userName: string, oid: string, given: string, family: string, email = userName) => {
      const found = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
      expect(found.body.totalResults).toBe(0);
      const created = await scim('POST', '/Users', {
        schemas: [SCIM_USER, ENTERPRISE],
        externalId: oid,
        userName,
        active: true,
        displayName: `${given} ${family}`,
        emails: [{ primary: true, type: 'work', value: email }],
        meta: { resourceType: 'User' },
        name: { formatted: `${given} ${family}`, familyName: family, givenName: given },
        [ENTERPRISE]: { department: 'Sales' },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.id as string;
    };
    people.bob = await push('bob@contoso.com', 'oid-bob', 'Bob', 'Brown');
    // A contractor from Acme, a guest in Contoso's directory, with her Acme address.
    people.carolContoso = await push('carol_acme.com#EXT#@contoso.onmicrosoft.com', 'oid-carol', 'Carol', 'Contractor', 'carol@acme.com');
    // Entra's update with the flag: path-less value keyed by attribute paths, lower-case op.
    const renamed = await scim('PATCH', `/Users/${people.bob}`, patchOp({ op: 'replace', value: { 'name.givenName': 'Robert', [`${ENTERPRISE}:department`]: 'Engineering' } }));
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body).toMatchObject({ name: { givenName: 'Robert' }, [ENTERPRISE]: { department: 'Engineering' } });
    // And without the flag (an older app registration): capitalised op, "False" as a string.
    const legacy = scimClient(token.base_url, token.token, 'Microsoft.Identity.Provisioning');
    contoso.entraUnflagged = legacy;
    const title = await legacy('PATCH', `/Users/${people.bob}`, patchOp({ op: 'Add', path: 'title', value: 'Engineer' }, { op: 'Replace', path: 'active', value: 'True' }));
    expect([title.status, title.body.title, title.body.active]).toEqual([200, 'Engineer', true]);
    const g = await scim('POST', '/Groups', { schemas: [SCIM_GROUP], externalId: 'a9f3c1d0-0000-4000-8000-000000000002', displayName: 'Contoso Engineers', members: [] });
    expect(g.status).toBe(201);
    const add = await scim('PATCH', `/Groups/${g.body.id}`, patchOp({ op: 'Add', path: 'members', value: [{ value: people.bob }] }));
    expect(add.status).toBe(204);
    const records = await as(contoso).ok('GET', `/tenants/${contoso.id}/scim/directories/${token.base_url.split('/').pop()}/normalisations`);
    expect(new Set(records.data.map((r: { dialect: string }) => r.dialect))).toEqual(new Set(['entra']));
  });

  it('Okta provisions Acme’s people, Carol included: one email address, two tenants, two users', async () => {
    const push = async (userName: string, externalId: string, given: string) => {
      const created = await acmeScim('POST', '/Users', { schemas: [SCIM_USER], userName, externalId, name: { givenName: given, familyName: 'Acme' }, emails: [{ primary: true, type: 'work', value: userName }], active: true });
      expect(created.status).toBe(201);
      return created.body.id as string;
    };
    people.alice = await push('alice@acme.com', '00u1alice', 'Alice');
    people.carolAcme = await push('carol@acme.com', '00u1carol', 'Carol');
    expect(people.carolAcme).not.toBe(people.carolContoso);
    // Each directory sees only its own Carol.
    const inAcme = await acmeScim('GET', `/Users?filter=${encodeURIComponent('emails.value eq "carol@acme.com"')}`);
    const inContoso = await contoso.entraScim('GET', `/Users?filter=${encodeURIComponent('emails.value eq "carol@acme.com"')}`);
    expect(inAcme.body.Resources.map((u: { id: string }) => u.id)).toEqual([people.carolAcme]);
    expect(inContoso.body.Resources.map((u: { id: string }) => u.id)).toEqual([people.carolContoso]);
    // A SCIM token reaches its own directory only.
    expect((await acmeScim('GET', `/Users/${people.carolContoso}`)).status).toBe(404);
  });

  it("routes each sign-in by the login_hint's domain to that tenant's IdP, and each person lands in their own organization", async () => {
    const a = await env.samlLogin(new Browser(), rp, okta, { login_hint: 'alice@acme.com' }, () => ({ nameId: 'alice@acme.com', attributes: { email: 'alice@acme.com', firstName: 'Alice' } }));
    expect((await exchange(rp, a.landed, a)).claims()).toMatchObject({ sub: people.alice, org_id: acme.id, org_slug: 'acme', connection_id: acme.connection, amr: ['pwd'] });
    entraClaims = { sub: 'pairwise-bob', oid: 'oid-bob', tid: CONTOSO_TID, email: 'bob@contoso.com', name: 'Robert Brown', groups: ['a9f3c1d0-0000-4000-8000-000000000002'] };
    const b = await viaEntra({ login_hint: 'bob@contoso.com' });
    expect(b.landed).toMatch(/\/callback\?code=/);
    const bob = (await exchange(rp, b.landed, b)).claims()!;
    expect(bob).toMatchObject({ sub: people.bob, email: 'bob@contoso.com', org_id: contoso.id, org_slug: 'contoso', connection_id: contoso.connection, given_name: 'Robert', family_name: 'Brown' });
    // What the IdP sent at sign-in (Entra: group object ids) and the SCIM groups (display names).
    expect(bob.groups).toEqual(['Contoso Engineers', 'a9f3c1d0-0000-4000-8000-000000000002']);
  });

  it("keeps Carol's two identities apart: her email routes to Acme, Contoso links her by Entra's object id", async () => {
    const browser = new Browser();
    const inAcme = await env.samlLogin(browser, rp, okta, { login_hint: 'carol@acme.com' }, () => ({ nameId: 'carol@acme.com', attributes: { email: 'carol@acme.com' } }));
    const acmeTokens = await exchange(rp, inAcme.landed, inAcme);
    expect(acmeTokens.claims()).toMatchObject({ sub: people.carolAcme, org_id: acme.id });
    entraClaims = { sub: 'pairwise-carol', oid: 'oid-carol', tid: CONTOSO_TID, email: 'carol@acme.com', name: 'Carol Contractor' };
    const inContoso = await viaEntra({ organization: 'contoso' }, browser);
    expect(inContoso.landed).toMatch(/\/callback\?code=/);
    const contosoTokens = await exchange(rp, inContoso.landed, inContoso);
    expect(contosoTokens.claims()).toMatchObject({ sub: people.carolContoso, org_id: contoso.id, email: 'carol@acme.com' });
    // One browser holds one session: signing in to Contoso ended her Acme one, and its tokens.
    await expect(client.refreshTokenGrant(rp, acmeTokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(env.audit(acme.id, 'session.revoked').at(-1)).toMatchObject({ actor: { type: 'user', id: people.carolAcme }, metadata: { reason: 'replaced_by_new_login' } });
    // Contoso cannot claim Acme's Carol by email: acme.com is not Contoso's domain, so an Entra
    // identity with another object id is not linked to anyone.
    entraClaims = { sub: 'pairwise-mallory', oid: 'oid-mallory', tid: CONTOSO_TID, email: 'alice@acme.com' };
    const spoof = await viaEntra({ organization: 'contoso' });
    expect(spoof.landed).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(contoso.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('user_not_provisioned');
  });

  it("binds a session to its organization: Acme's browser session never answers for Contoso", async () => {
    const browser = new Browser();
    const a = await env.samlLogin(browser, rp, okta, { organization: 'acme' }, () => ({ nameId: 'alice@acme.com', attributes: { email: 'alice@acme.com' } }));
    expect((await exchange(rp, a.landed, a)).claims()?.org_id).toBe(acme.id);
    // Silent sign-in for Contoso with Acme's session: no code; she is not signed in to Contoso.
    const silent = await authorizationRequest(rp, { organization: 'contoso', prompt: 'none' });
    const quiet = await browser.follow(silent.url.toString(), (l) => l.startsWith(CALLBACK) || l.startsWith(entra.issuer.url as string));
    expect(quiet.url.startsWith(CALLBACK)).toBe(true);
    expect(new URL(quiet.url).searchParams.get('error')).toBe('login_required');
    // An interactive one goes to Contoso's IdP, not back to the app.
    const interactive = await authorizationRequest(rp, { organization: 'contoso' });
    const toIdp = await browser.follow(interactive.url.toString(), (l) => l.startsWith(CALLBACK) || l.startsWith(entra.issuer.url as string));
    expect(toIdp.url.startsWith(entra.issuer.url as string)).toBe(true);
  });

  it("Contoso deprovisions its Carol (Entra, active \"False\"); Acme's Carol keeps her session", async () => {
    const browser = new Browser();
    const inAcme = await env.samlLogin(browser, rp, okta, { organization: 'acme' }, () => ({ nameId: 'carol@acme.com', attributes: { email: 'carol@acme.com' } }));
    const acmeTokens = await exchange(rp, inAcme.landed, inAcme);
    const legacy = contoso.entraUnflagged;
    const off = await legacy('PATCH', `/Users/${people.carolContoso}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }));
    expect([off.status, off.body.active]).toEqual([200, false]);
    const refreshed = await client.refreshTokenGrant(rp, acmeTokens.refresh_token as string);
    expect(refreshed.claims()).toMatchObject({ sub: people.carolAcme, org_id: acme.id });
    expect(env.services.directory.findUserById(acme.id, people.carolAcme)).toMatchObject({ active: true });
    entraClaims = { sub: 'pairwise-carol', oid: 'oid-carol', tid: CONTOSO_TID, email: 'carol@acme.com' };
    const refused = await viaEntra({ organization: 'contoso' });
    expect(refused.landed).toMatch(/\/callback\?error=access_denied/);
    expect(env.audit(contoso.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('user_deactivated');
    // Later Entra deletes her; Acme's Carol is still there, and still signed in.
    expect((await contoso.entraScim('DELETE', `/Users/${people.carolContoso}`)).status).toBe(204);
    expect((await contoso.entraScim('GET', `/Users/${people.carolContoso}`)).status).toBe(404);
    expect((await acmeScim('GET', `/Users/${people.carolAcme}`)).body).toMatchObject({ id: people.carolAcme, active: true });
    expect((await client.refreshTokenGrant(rp, refreshed.refresh_token as string)).claims()?.sub).toBe(people.carolAcme);
  });
});
