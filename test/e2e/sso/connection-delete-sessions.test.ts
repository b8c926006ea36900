import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { LogoutReceiver } from '../../helpers/logout-receiver.ts';

/**
 * Deleting a connection (an IdP compromised, a partnership ended) ends, in the DELETE, what was
 * signed in through it: sessions with back-channel logout, their grants and refresh tokens; so
 * does `POST …/revoke-sessions`, keeping the connection. Sign-ins of the same people through
 * other connections stay.
 */
describe('deleting a connection ends the sign-ins made through it', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let receiver: LogoutReceiver;
  let userId: string;
  const okta = new TestSamlIdp();
  const partner = new TestSamlIdp('https://partner.example/saml/idp', 'https://idp.partner.test/sso', testKey('attacker'));

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Bank', 'bank');
    receiver = await new LogoutReceiver().start(`${env.base}/oidc`);
    const app = await env.app(tenant.id, { backchannel_logout_uri: receiver.url });
    receiver.audience = app.client_id;
    rp = await env.rp(app);
    userId = env.provisionUser(tenant.id, { userName: 'ada@bank.test', email: 'ada@bank.test', externalId: 'ada' });
  });
  afterAll(async () => {
    await receiver?.close();
    await env?.close();
  });

  async function signIn(conn: { id: string }, idp: TestSamlIdp) {
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'bank', connection: conn.id }, () => ({ nameId: 'ada', attributes: {} }));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return { refresh: tokens.refresh_token as string, access: tokens.access_token };
  }
  const refreshed = (token: string) =>
    client.refreshTokenGrant(rp, token).then(
      (t) => t.refresh_token as string,
      (e) => (e?.error === 'invalid_grant' ? null : Promise.reject(e)),
    );

  it('revokes its sessions, refresh tokens and access tokens before answering, tells the apps, audits it, and leaves sign-ins through other connections', async () => {
    const oktaConn = await env.samlConnection(tenant.id, okta, { name: 'Okta' });
    const partnerConn = await env.samlConnection(tenant.id, partner, { name: 'Partner' });
    const viaPartner = await signIn(partnerConn, partner);
    const viaOkta = await signIn(oktaConn, okta);
    const logouts = receiver.tokens.filter((t) => t.sub === userId).length;

    const res = await env.api('DELETE', `/admin/v1/tenants/${tenant.id}/connections/${partnerConn.id}`);
    expect(res.status).toBe(204);

    expect(receiver.tokens.filter((t) => t.sub === userId).length).toBe(logouts + 1);
    expect(await refreshed(viaPartner.refresh)).toBeNull();
    expect((await client.tokenIntrospection(rp, viaPartner.access)).active).toBe(false);
    const revoked = env.audit(tenant.id, 'session.revoked').filter((e) => e.metadata?.connection_id === partnerConn.id);
    expect(revoked).toHaveLength(1);
    expect(revoked[0]?.metadata).toMatchObject({ reason: 'connection_deleted', user_id: userId, grants: 1, refresh_tokens: 1 });
    expect(env.audit(tenant.id, 'sso.connection.deleted').at(-1)?.metadata).toEqual({ sessions_revoked: 1 });

    // Ada's sign-in through Okta is hers to keep.
    expect(await refreshed(viaOkta.refresh)).toEqual(expect.any(String));
    expect((await client.tokenIntrospection(rp, viaOkta.access)).active).toBe(true);
  });

  it('deletes a connection nobody signed in through without revoking anything', async () => {
    const unused = await env.samlConnection(tenant.id, new TestSamlIdp('https://unused.example/idp', 'https://unused.test/sso'), { name: 'Unused' });
    const before = env.audit(tenant.id, 'session.revoked').length;
    expect((await env.api('DELETE', `/admin/v1/tenants/${tenant.id}/connections/${unused.id}`)).status).toBe(204);
    expect(env.audit(tenant.id, 'session.revoked')).toHaveLength(before);
    expect(env.audit(tenant.id, 'sso.connection.deleted').at(-1)?.metadata ?? null).toBeNull();
  });

  it('signs out, on request, everyone who signed in through a connection it keeps (POST …/revoke-sessions), audited; other connections untouched', async () => {
    const oktaIdp = new TestSamlIdp('https://okta2.example/idp', 'https://okta2.test/sso');
    const suspectIdp = new TestSamlIdp('https://suspect.example/idp', 'https://suspect.test/sso', testKey('attacker'));
    const oktaConn = await env.samlConnection(tenant.id, oktaIdp, { name: 'Okta 2' });
    const suspect = await env.samlConnection(tenant.id, suspectIdp, { name: 'Suspect' });
    const viaSuspect = await signIn(suspect, suspectIdp);
    const viaOkta = await signIn(oktaConn, oktaIdp);
    const logouts = receiver.tokens.filter((t) => t.sub === userId).length;

    const res = await env.api('POST', `/admin/v1/tenants/${tenant.id}/connections/${suspect.id}/revoke-sessions`);
    expect([res.status, res.body]).toEqual([200, { sessions_revoked: 1 }]);
    expect(receiver.tokens.filter((t) => t.sub === userId).length).toBe(logouts + 1);
    expect(await refreshed(viaSuspect.refresh)).toBeNull();
    expect(env.audit(tenant.id, 'session.revoked').at(-1)?.metadata).toMatchObject({ reason: 'connection_sessions_revoked', connection_id: suspect.id, user_id: userId });
    expect(env.audit(tenant.id, 'sso.connection.sessions_revoked').at(-1)).toMatchObject({ target: { id: suspect.id }, metadata: { sessions_revoked: 1 } });
    expect(await refreshed(viaOkta.refresh)).toEqual(expect.any(String));
    // The connection itself is unchanged (and a second call has nothing left to end).
    expect((await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${suspect.id}`)).status).toBe('active');
    expect((await env.api('POST', `/admin/v1/tenants/${tenant.id}/connections/${suspect.id}/revoke-sessions`)).body).toEqual({ sessions_revoked: 0 });
  });
});
