import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { SCIM_USER, adminCall, adminOk, scimClient, type ScimCall } from './support.ts';

const APP = 'http://127.0.0.1:9/';

/**
 * A person clicks the app's tile in the Okta dashboard (IdP-initiated SAML) and has never been
 * provisioned: the IT admin turned on just-in-time provisioning and IdP-initiated sign-in as
 * docs/sso.md says, the app registered its `initiate_login_uri`. The tile lands the person in the
 * app signed in, creating the directory user from Okta's attributes; the next click is the same
 * user; a person whose email's domain is not verified and whose user name is already taken is
 * refused (`user_name_taken`); a replayed response is refused.
 */
describe('scenario: Okta dashboard tile (IdP-initiated SAML) with just-in-time provisioning', () => {
  let env: SsoEnv;
  const okta = new TestSamlIdp('http://www.okta.com/exk1tile', 'https://acme.okta.com/app/acme_b2b/exk1tile/sso/saml');
  let tenant: { id: string };
  let key: string;
  let rp: client.Configuration;
  let sp: { acs_url: string; entity_id: string };
  let scim: ScimCall;
  let dave = '';
  const admin = <T = any>(method: string, path: string, body?: unknown) => adminOk<T>(env.base, key, method, path, body);

  beforeAll(async () => {
    env = await SsoEnv.start();
  });
  afterAll(() => env?.close());

  /** A click on the tile: Okta POSTs its response to the ACS; the browser follows to the app. */
  async function clickTile(browser: Browser, who: { nameId: string; attributes: Record<string, string | string[]>; id?: string }) {
    const raw = okta.response({ recipient: sp.acs_url, audience: sp.entity_id, inResponseTo: null, ...who });
    return { raw, ...(await browser.follow(sp.acs_url, (l) => l.startsWith(APP), { form: { SAMLResponse: raw } })) };
  }

  /** The app's reaction to its initiate_login_uri (OIDC third-party-initiated login): code + PKCE. */
  async function appLogin(browser: Browser, landedAt: string) {
    const hint = new URL(landedAt).searchParams.get('login_hint')!;
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(rp, { redirect_uri: `${APP}callback`, scope: 'openid email profile', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'tile', login_hint: hint });
    const done = await browser.follow(url.toString(), (l) => l.startsWith(APP) || l.startsWith(okta.ssoUrl));
    expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    return client.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: 'tile' });
  }

  it('the IT admin verifies acme.com, turns on JIT, and connects Okta with IdP-initiated sign-in into the app', async () => {
    tenant = await env.tenant('Acme', 'acme');
    key = (await env.ok('POST', `/admin/v1/tenants/${tenant.id}/api-keys`, { name: 'Acme IT', scopes: ['admin'] })).key;
    const domain = await admin('POST', `/tenants/${tenant.id}/domains`, { domain: 'acme.com' });
    env.txt.set(domain.verification.name, [[domain.verification.value]]);
    await admin('POST', `/tenants/${tenant.id}/domains/${domain.id}/verify`);
    expect(await admin('PUT', `/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true })).toMatchObject({ jit_provisioning: true });
    const app = await admin('POST', `/tenants/${tenant.id}/apps`, { name: 'Acme web app', grant_types: ['authorization_code'], redirect_uris: [`${APP}callback`], initiate_login_uri: `${APP}login` });
    expect(app.initiate_login_uri).toBe(`${APP}login`);
    rp = await env.rp(app);
    const conn = await admin('POST', `/tenants/${tenant.id}/connections`, { name: 'Okta', protocol: 'saml', attribute_preset: 'okta', saml: { metadata_xml: okta.metadataXml(), allow_idp_initiated: true, idp_initiated_app_id: app.client_id } });
    expect(conn.saml).toMatchObject({ allow_idp_initiated: true, idp_initiated_app_id: app.client_id });
    await admin('PATCH', `/tenants/${tenant.id}/connections/${conn.id}`, { status: 'active' });
    sp = conn.saml.sp;
    const token = await admin('POST', `/tenants/${tenant.id}/scim/tokens`, { name: 'Okta provisioning' });
    scim = scimClient(token.base_url, token.token, 'Okta SCIM Client 1.0.0');
  });

  it('a brand-new person clicks the tile: lands at the app, signed in, a directory user made from Okta\'s attributes', async () => {
    const browser = new Browser();
    const tile = await clickTile(browser, { nameId: 'dave@acme.com', attributes: { email: 'dave@acme.com', firstName: 'Dave', lastName: 'Diaz', groups: ['Everyone'] } });
    const landed = new URL(tile.url);
    expect(`${landed.origin}${landed.pathname}`).toBe(`${APP}login`);
    expect(landed.searchParams.get('iss')).toBe(`${env.base}/oidc`);
    expect(landed.searchParams.get('login_hint')).toBe('dave@acme.com');
    const tokens = await appLogin(browser, tile.url);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ email: 'dave@acme.com', given_name: 'Dave', family_name: 'Diaz', name: 'Dave Diaz', org_id: tenant.id });
    dave = claims.sub;
    expect(env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.target?.id).toBe(dave);
    // The admin finds the JIT user in the audit log (JIT users belong to no SCIM directory until a
    // POST /Users adopts them, docs/scim.md), with the attributes mapped from Okta's.
    const created = (await admin('GET', `/tenants/${tenant.id}/audit?target_id=${dave}&action=directory.user.created`)).data;
    expect(created).toHaveLength(1);
    expect(created[0].metadata).toMatchObject({ source: 'sso_jit' });
    expect(created[0].after).toMatchObject({ user_name: 'dave@acme.com', email: 'dave@acme.com', external_id: 'dave@acme.com', active: true, directory_id: null });
  });

  it('the second click by the same person, in a fresh browser, is the same user (no second JIT user)', async () => {
    const browser = new Browser();
    const tile = await clickTile(browser, { nameId: 'dave@acme.com', attributes: { email: 'dave@acme.com', firstName: 'Dave', lastName: 'Diaz' } });
    const tokens = await appLogin(browser, tile.url);
    expect(tokens.claims()!.sub).toBe(dave);
    const jit = env.audit(tenant.id, 'directory.user.created').filter((e) => e.metadata?.source === 'sso_jit');
    expect(jit.map((e) => e.target?.id)).toEqual([dave]);
  });

  it('a person from an unverified domain whose user name is already taken by someone else is refused with user_name_taken', async () => {
    const carol = await scim('POST', '/Users', { schemas: [SCIM_USER], userName: 'carol@contractor.io', externalId: '00u1carol', emails: [{ primary: true, value: 'carol@contractor.io' }], active: true });
    expect(carol.status).toBe(201);
    const sessions = env.sessionCount();
    const tile = await clickTile(new Browser(), { nameId: 'carol@contractor.io', attributes: { email: 'carol@contractor.io', firstName: 'Carol', lastName: 'Impostor' } });
    expect(tile.url.startsWith(`${APP}callback`) || tile.res?.status === 400).toBe(true);
    expect(tile.url).not.toMatch(/code=/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('user_name_taken');
    expect(env.sessionCount()).toBe(sessions);
    // Not merged into the SCIM user, and no second Carol.
    const all = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "carol@contractor.io"')}`);
    expect(all.body.Resources.map((u: { id: string; name?: unknown }) => u.id)).toEqual([carol.body.id]);
  });

  it('a brand-new person from an unverified domain with no one holding the name is provisioned just in time, as documented', async () => {
    const browser = new Browser();
    const tile = await clickTile(browser, { nameId: 'erin@freelance.dev', attributes: { email: 'erin@freelance.dev', firstName: 'Erin', lastName: 'Eng' } });
    const tokens = await appLogin(browser, tile.url);
    expect(tokens.claims()).toMatchObject({ email: 'erin@freelance.dev', given_name: 'Erin' });
  });

  it('replaying the same IdP-initiated response is refused and signs nobody in', async () => {
    const first = await clickTile(new Browser(), { id: '_tile_once', nameId: 'dave@acme.com', attributes: { email: 'dave@acme.com' } });
    expect(first.url.startsWith(`${APP}login`)).toBe(true);
    const sessions = env.sessionCount();
    const again = await new Browser().follow(sp.acs_url, (l) => l.startsWith(APP), { form: { SAMLResponse: first.raw } });
    expect(again.url).not.toMatch(/\/login\?/);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('saml_assertion_replayed');
    expect(env.sessionCount()).toBe(sessions);
    // The admin sees the tile sign-ins for what they were in the audit log.
    const events = (await adminCall(env.base, key, 'GET', `/tenants/${tenant.id}/audit?target_id=${dave}&limit=50`)).body.data.map((e: { action: string }) => e.action);
    expect(events.filter((a: string) => a === 'sso.login.succeeded').length).toBeGreaterThanOrEqual(3);
  });
});
