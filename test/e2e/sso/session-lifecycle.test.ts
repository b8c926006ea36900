import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser, readForm } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { LogoutReceiver } from '../../helpers/logout-receiver.ts';

describe('sessions, refresh tokens, logout and deprovisioning', () => {
  let env: SsoEnv;
  let idp: TestSamlIdp;
  let tenant: { id: string };
  let rp: client.Configuration;
  let app: { client_id: string; client_secret: string };
  let receiver: LogoutReceiver;

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    idp = new TestSamlIdp();
    await env.verifiedDomain(tenant.id, 'acme.test');
    await env.samlConnection(tenant.id, idp);
    receiver = await new LogoutReceiver().start(`${env.base}/oidc`);
    app = await env.app(tenant.id, { backchannel_logout_uri: receiver.url });
    receiver.audience = app.client_id;
    rp = await env.rp(app);
  });
  afterAll(async () => {
    await receiver?.close();
    await env?.close();
  });

  async function signIn(userName: string, browser = new Browser()) {
    const flow = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, () => ({ nameId: userName, attributes: { email: userName } }));
    expect(flow.landed).toMatch(/\/callback\?/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return { tokens, browser };
  }

  it('rotates refresh tokens and revokes the whole grant when an old one is replayed (audited)', async () => {
    env.provisionUser(tenant.id, { userName: 'rot@acme.test', email: 'rot@acme.test' });
    const { tokens } = await signIn('rot@acme.test');
    const first = tokens.refresh_token as string;
    const second = await client.refreshTokenGrant(rp, first);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first);
    expect(second.claims()?.org_id).toBe(tenant.id);
    await expect(client.refreshTokenGrant(rp, first)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.refreshTokenGrant(rp, second.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    const introspected = await client.tokenIntrospection(rp, second.access_token);
    expect(introspected.active).toBe(false);
    expect(env.audit(tenant.id, 'oidc.refresh_token.reuse_detected')).toHaveLength(1);
  });

  it('introspects and revokes access tokens for the app', async () => {
    env.provisionUser(tenant.id, { userName: 'intro@acme.test', email: 'intro@acme.test' });
    const { tokens } = await signIn('intro@acme.test');
    const live = await client.tokenIntrospection(rp, tokens.access_token);
    // org_id: the tenant the person signed in to, for resource servers that introspect.
    expect(live).toMatchObject({ active: true, client_id: app.client_id, org_id: tenant.id });
    await client.tokenRevocation(rp, tokens.access_token);
    expect((await client.tokenIntrospection(rp, tokens.access_token)).active).toBe(false);
  });

  it('ends the session on RP-initiated logout and tells the app over the back channel', async () => {
    const userId = env.provisionUser(tenant.id, { userName: 'out@acme.test', email: 'out@acme.test' });
    const { tokens, browser } = await signIn('out@acme.test');
    const before = receiver.tokens.length;
    const endUrl = client.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out' });
    const page = await browser.request(endUrl.toString());
    const form = readForm(await page.text());
    // Addresses a client writes itself are not taken for its own (no trusted proxy here).
    const forged = { 'x-forwarded-for': '203.0.113.66', 'x-portcullis-client-ip': '203.0.113.66' };
    const done = await browser.follow(new URL(form.action, env.base).toString(), (l) => l.startsWith('http://127.0.0.1:9/'), { form: { ...form.fields, logout: 'yes' }, headers: forged });
    expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/logged-out/);
    expect(receiver.tokens.slice(before).map((t) => t.sub)).toContain(userId);
    await expect(client.refreshTokenGrant(rp, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(env.audit(tenant.id, 'oidc.logout').find((e) => e.actor.id === userId)?.actor.ip).toBe('127.0.0.1');
    // The browser's SSO session is gone: a new authorization request goes back to the IdP.
    const again = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, () => ({ nameId: 'out@acme.test', attributes: { email: 'out@acme.test' } }));
    expect(again.landed).toMatch(/\/callback\?/);
    expect(env.audit(tenant.id, 'sso.login.succeeded').filter((e) => e.target?.id === userId)).toHaveLength(2);
  });

  it('revokes sessions, grants and refresh tokens of a deactivated user before deprovisioning returns, with back-channel logout', async () => {
    const userId = env.provisionUser(tenant.id, { userName: 'gone@acme.test', email: 'gone@acme.test' });
    const { tokens, browser } = await signIn('gone@acme.test');
    const before = receiver.tokens.length;
    const counts = await env.deactivate(tenant.id, userId);
    expect(counts).toMatchObject({ sessions: 1, refresh_tokens: 1, grants: 1 });
    expect(receiver.tokens.slice(before).map((t) => t.sub)).toContain(userId);
    await expect(client.refreshTokenGrant(rp, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(rp, tokens.access_token)).active).toBe(false);
    await expect(client.fetchUserInfo(rp, tokens.access_token, userId)).rejects.toBeTruthy();
    expect(env.audit(tenant.id, 'session.revoked').some((e) => e.metadata?.reason === 'scim_deactivated')).toBe(true);
    // The same browser cannot slip back in: the IdP leg runs again and the login is refused.
    const again = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, () => ({ nameId: 'gone@acme.test', attributes: { email: 'gone@acme.test' } }));
    expect(again.landed).toMatch(/\/callback\?error=access_denied/);
    const failures = env.audit(tenant.id, 'sso.login.failed');
    expect(failures.at(-1)?.metadata?.reason).toBe('user_deactivated');
  });

  it('ends an SSO user\'s access inside the SCIM request that deactivates them (Okta dialect), logout sent before the 2xx', async () => {
    const dir = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/scim/directories`, { name: 'Okta' });
    const token = (await env.ok('POST', `/admin/v1/tenants/${tenant.id}/scim/directories/${dir.id}/tokens`, { name: 'okta' })).token;
    const scim = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${env.base}/scim/v2/${dir.id}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const created = await scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'scim.user@acme.test',
      externalId: '00uScimUser',
      name: { givenName: 'Scim', familyName: 'User' },
      emails: [{ value: 'scim.user@acme.test', type: 'work', primary: true }],
      active: true,
    });
    expect(created.status).toBe(201);
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'acme' }, () => ({ nameId: 'scim.user@acme.test', attributes: { email: 'scim.user@acme.test' } }));
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    expect(tokens.claims()!.sub).toBe(created.body.id);
    const before = receiver.tokens.length;
    const off = await scim('PATCH', `/Users/${created.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(off.status).toBe(200);
    // Already true when the SCIM response arrived:
    expect(receiver.tokens.slice(before).map((t) => t.sub)).toContain(created.body.id);
    await expect(client.refreshTokenGrant(rp, tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(rp, tokens.access_token)).active).toBe(false);
    const deprovisioned = env.audit(tenant.id).filter((e) => e.target?.id === created.body.id && /deprovision/.test(e.action));
    expect(JSON.stringify(deprovisioned.map((e) => e.metadata))).toMatch(/"sessions":1/);
  });
});
