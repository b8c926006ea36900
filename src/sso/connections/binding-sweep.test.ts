import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from '../../../test/helpers/harness.ts';
import { OIDC_TTL } from '../../oidc/constants.ts';

/**
 * What a binding change looks at besides live sessions: refresh tokens outlive the browser
 * session (12 h) but never its revocation, so an expired session whose grant still holds a live
 * refresh token is ended too; an expired one with nothing left is left as it is.
 */
describe('sessions ended by a binding change, over time', () => {
  let h: Harness;
  let tenantId: string;
  let directoryId: string;
  const sso = () => h.services.sso;

  beforeEach(async () => {
    h = new Harness();
    tenantId = (await h.createTenant('Bank', 'bank')).id;
    directoryId = (await h.json('POST', `/admin/v1/tenants/${tenantId}/scim/directories`, { body: { name: 'Employees' } })).body.id;
  });
  afterEach(() => h.close());

  const connection = async (name: string) =>
    (await h.json('POST', `/admin/v1/tenants/${tenantId}/connections`, { body: { name, protocol: 'oidc', oidc: { issuer: `https://${name}.example`, client_id: 'portcullis' } } })).body.id as string;

  async function directoryUser(userName: string): Promise<string> {
    const token = (await h.json('POST', `/admin/v1/tenants/${tenantId}/scim/directories/${directoryId}/tokens`, { body: { name: userName } })).body.token;
    const res = await h.json('POST', `/scim/v2/${directoryId}/Users`, {
      key: token,
      headers: { 'content-type': 'application/scim+json' },
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName, active: true },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  /** A session through `connectionId`, with a grant and (optionally) a refresh token living `refreshTtl` seconds. */
  function session(userId: string, connectionId: string, grantId: string, refreshTtl: number | null) {
    const s = sso().sessions.create({ tenant_id: tenantId, user_id: userId, connection_id: connectionId, amr: ['pwd'], acr: 'urn:portcullis:acr:sso', groups: [], idp_session_index: null });
    sso().sessions.bindGrant(grantId, s, 'client', undefined);
    sso().models.upsert({ model: 'Grant', id: grantId, payload: '{}', grant_id: null, client_id: 'client', uid: null, user_code: null, account_id: userId, expires_at: null });
    if (refreshTtl !== null) {
      const expires = h.clock.now().getTime() + refreshTtl * 1000;
      sso().models.upsert({ model: 'RefreshToken', id: `rt-${grantId}`, payload: '{}', grant_id: grantId, client_id: 'client', uid: null, user_code: null, account_id: userId, expires_at: expires });
    }
    return s.id;
  }
  const revokedAt = (id: string) => sso().sessions.find(id)?.revoked_at ?? null;
  const refreshTokens = (grantId: string) => sso().models.countRefreshTokensOfGrant(grantId, h.clock.now().getTime());

  it('ends an expired session that still holds a live refresh token, and leaves expired ones holding nothing and the bound connection\'s own', async () => {
    const partner = await connection('partner');
    const okta = await connection('okta');
    const alice = await directoryUser('alice@bank.test');
    const withRefresh = session(alice, partner, 'grant-refresh', OIDC_TTL.refreshToken);
    const spent = session(alice, partner, 'grant-spent', 60 * 60);
    const own = session(alice, okta, 'grant-own', OIDC_TTL.refreshToken);
    h.clock.advance((OIDC_TTL.session + 60) * 1000);

    const res = await h.json('PATCH', `/admin/v1/tenants/${tenantId}/connections/${okta}`, { body: { directory_id: directoryId } });

    expect(res.status).toBe(200);
    expect(revokedAt(withRefresh)).toBe(h.clock.now().toISOString());
    expect(refreshTokens('grant-refresh')).toBe(0);
    expect(sso().models.find('Grant', 'grant-refresh', h.clock.now().getTime())).toBeUndefined();
    expect(revokedAt(spent)).toBeNull();
    expect(revokedAt(own)).toBeNull();
    expect(refreshTokens('grant-own')).toBe(1);
    const events = [...h.services.audit.export(tenantId, {})];
    expect(events.filter((e) => e.action === 'session.revoked').map((e) => e.metadata)).toEqual([
      { reason: 'directory_binding_changed', changed_connection_id: okta, connection_id: partner, user_id: alice, refresh_tokens: 1, grants: 1 },
    ]);
    expect(events.filter((e) => e.action === 'sso.connection.updated').at(-1)?.metadata).toEqual({ sessions_revoked: 1 });
  });

  it('rolls the revocation back with the change when the change is refused (stale If-Match)', async () => {
    const partner = await connection('partner');
    const okta = await connection('okta');
    const alice = await directoryUser('alice@bank.test');
    const live = session(alice, partner, 'grant-live', OIDC_TTL.refreshToken);
    const res = await h.json('PATCH', `/admin/v1/tenants/${tenantId}/connections/${okta}`, { headers: { 'if-match': '"stale"' }, body: { directory_id: directoryId } });
    expect(res.status).toBe(412);
    expect(revokedAt(live)).toBeNull();
    expect(refreshTokens('grant-live')).toBe(1);
  });
});
