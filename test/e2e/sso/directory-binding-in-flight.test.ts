import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';
import { scimDirectory } from '../../helpers/scim-directory.ts';

/**
 * A connection's binding changed while one of its sign-ins was at the upstream token endpoint
 * (the callback read the connection, then waited for the IdP): the sign-in links by the binding
 * as it is when it links, not as it was when the callback began. The change is made at the
 * moment the upstream IdP signs the ID token, through the connection store, as another process
 * (the admin API of another instance, the CLI) would.
 */
describe('a binding changed during a sign-in (OIDC)', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let oktaIdp: OAuth2Server;
  let duringTokenRequest: () => void = () => {};
  let employees: Awaited<ReturnType<typeof scimDirectory>>;
  let others: Awaited<ReturnType<typeof scimDirectory>>;
  let okta: { id: string };
  let alice: string;

  beforeAll(async () => {
    oktaIdp = await startUpstreamIdp(() => {
      duringTokenRequest();
      duringTokenRequest = () => {};
      return { sub: '00uAlice', email: 'alice@bank.test' };
    });
    env = await SsoEnv.start();
    tenant = await env.tenant('Bank', 'bank');
    await env.verifiedDomain(tenant.id, 'bank.test');
    employees = await scimDirectory(env, tenant.id, 'Okta employees');
    others = await scimDirectory(env, tenant.id, 'Other employees');
    alice = await employees.push({ userName: 'alice@bank.test', externalId: '00uAlice', email: 'alice@bank.test' });
    okta = await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
      name: 'Okta OIDC',
      protocol: 'oidc',
      status: 'active',
      attribute_preset: 'okta',
      directory_id: employees.id,
      oidc: { issuer: oktaIdp.issuer.url, client_id: 'okta', client_secret: 'upstream-secret' },
    });
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(async () => {
    await env?.close();
    await oktaIdp?.stop();
  });

  async function signIn() {
    const { url, verifier, state } = await authorizationRequest(rp, { organization: 'bank', connection: okta.id });
    const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    if (!/\/callback\?code=/.test(done.url)) return { failure: env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata };
    const tokens = await client.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state });
    return { sub: tokens.claims()!.sub };
  }

  const rebind = (directoryId: string | null) => () => {
    const repo = env.services.sso.connections.repo(tenant.id);
    repo.update({ ...repo.find(okta.id)!, directory_id: directoryId }, new Date().toISOString());
  };

  it('does not sign in a user of the directory the connection was bound to when the sign-in began, once it is bound to another', async () => {
    duringTokenRequest = rebind(others.id);
    const r = await signIn();
    expect(r.sub).toBeUndefined();
    expect(r.failure).toMatchObject({ reason: 'user_not_provisioned' });
  });

  it('signs the user in by the new binding when the connection is bound back to the directory meanwhile', async () => {
    duringTokenRequest = rebind(employees.id);
    expect(await signIn()).toEqual({ sub: alice });
  });

  it('refuses the sign-in when the connection was deleted meanwhile', async () => {
    const sessions = env.sessionCount();
    duringTokenRequest = () => env.services.sso.connections.repo(tenant.id).markDeleted(okta.id, new Date().toISOString());
    const r = await signIn();
    expect(r.sub).toBeUndefined();
    expect(r.failure).toMatchObject({ reason: 'connection_not_active' });
    expect(env.sessionCount()).toBe(sessions);
  });
});
