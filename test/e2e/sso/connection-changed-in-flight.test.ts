import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';

/**
 * A connection switched off, or its group mappings changed, while one of its sign-ins waited at
 * the upstream token endpoint (the callback read the connection, then waited for the IdP): the
 * sign-in finishes by the connection as it is when it links, as it already does for a deleted
 * connection or a changed directory binding. The change is made at the moment the upstream IdP
 * signs the ID token, through the connection store, as another process would.
 */
describe('a connection changed during a sign-in (OIDC)', () => {
  let env: SsoEnv;
  let tenant: { id: string; authz_store_id: string };
  let rp: client.Configuration;
  let upstream: OAuth2Server;
  let duringTokenRequest: () => void = () => {};
  let conn: { id: string };
  let ada: string;

  beforeAll(async () => {
    upstream = await startUpstreamIdp(() => {
      duringTokenRequest();
      duringTokenRequest = () => {};
      return { sub: 'ada', email: 'ada@acme.test', groups: ['Admins'] };
    });
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    ada = env.provisionUser(tenant.id, { userName: 'ada@acme.test', email: 'ada@acme.test', externalId: 'ada' });
    conn = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
      name: 'Okta OIDC',
      protocol: 'oidc',
      status: 'active',
      attribute_preset: 'okta',
      group_mappings: [{ idp_group: 'Admins', relation: 'admin' }],
      oidc: { issuer: upstream.issuer.url, client_id: 'okta', client_secret: 'upstream-secret' },
    });
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(async () => {
    await env?.close();
    await upstream?.stop();
  });

  async function signIn() {
    const { url } = await authorizationRequest(rp, { organization: 'acme' });
    const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    return /\/callback\?code=/.test(done.url) ? { signedIn: true } : { failure: env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata };
  }
  const change = (patch: Record<string, unknown>) => () => {
    const repo = env.services.sso.connections.repo(tenant.id);
    repo.update({ ...repo.find(conn.id)!, ...patch }, new Date().toISOString());
  };
  const isAdmin = async () => (await env.services.authz.check(tenant.authz_store_id, { tuple_key: { user: `user:${ada}`, relation: 'admin', object: `organization:${tenant.id}` } })).allowed;

  it('does not grant a relation whose mapping was removed meanwhile', async () => {
    duringTokenRequest = change({ group_mappings: [] });
    expect(await signIn()).toEqual({ signedIn: true });
    expect(await isAdmin()).toBe(false);
  });

  it('refuses the sign-in, creating no session, when the connection was switched off meanwhile', async () => {
    const sessions = env.sessionCount();
    duringTokenRequest = change({ status: 'inactive' });
    const r = await signIn();
    expect(r.failure).toMatchObject({ reason: 'connection_not_active' });
    expect(env.sessionCount()).toBe(sessions);
  });
});
