import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';
import { scimDirectory } from '../../helpers/scim-directory.ts';

/**
 * The same rule through upstream OIDC IdPs (oauth2-mock-server): an OIDC connection bound to the
 * employees' directory signs them in and creates its just-in-time users there; a partner's OIDC
 * IdP, unbound, cannot become an employee by `sub` or by a verified email.
 */
describe('a connection bound to a SCIM directory (OIDC)', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let oktaIdp: OAuth2Server;
  let partnerIdp: OAuth2Server;
  let oktaClaims: Record<string, unknown> = {};
  let partnerClaims: Record<string, unknown> = {};
  let employees: Awaited<ReturnType<typeof scimDirectory>>;
  let okta: { id: string };
  let partner: { id: string };
  let alice: string;

  beforeAll(async () => {
    oktaIdp = await startUpstreamIdp(() => oktaClaims);
    partnerIdp = await startUpstreamIdp(() => partnerClaims);
    env = await SsoEnv.start();
    tenant = await env.tenant('Bank', 'bank');
    await env.verifiedDomain(tenant.id, 'bank.test');
    employees = await scimDirectory(env, tenant.id, 'Okta employees');
    alice = await employees.push({ userName: 'alice@bank.test', externalId: '00uAlice', email: 'alice@bank.test' });
    const oidc = (name: string, idp: OAuth2Server, extra: Record<string, unknown> = {}) =>
      env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, { name, protocol: 'oidc', status: 'active', oidc: { issuer: idp.issuer.url, client_id: name.toLowerCase().replace(/\W/g, ''), client_secret: 'upstream-secret' }, ...extra });
    okta = await oidc('Okta OIDC', oktaIdp, { attribute_preset: 'okta', directory_id: employees.id });
    partner = await oidc('Partner OIDC', partnerIdp);
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(async () => {
    await env?.close();
    await oktaIdp?.stop();
    await partnerIdp?.stop();
  });

  const failures = () => env.audit(tenant.id, 'sso.login.failed');

  async function signIn(conn: { id: string }) {
    const failed = failures().length;
    const { url, verifier, state } = await authorizationRequest(rp, { organization: 'bank', connection: conn.id });
    const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    if (!/\/callback\?code=/.test(done.url)) return { landed: done.url, failure: failures().slice(failed).at(-1) };
    const tokens = await client.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state });
    return { sub: tokens.claims()!.sub, landed: done.url };
  }

  it("signs the directory's user in through the bound OIDC connection, saying in which directory", async () => {
    oktaClaims = { sub: '00uAlice', email: 'alice@bank.test' };
    expect((await signIn(okta)).sub).toBe(alice);
    expect(env.audit(tenant.id, 'sso.login.succeeded').at(-1)).toMatchObject({ target: { id: alice }, metadata: { connection_id: okta.id, protocol: 'oidc', directory_id: employees.id } });
  });

  it("refuses the partner's OIDC IdP asserting an employee's sub, and an employee's email in the verified domain (user_directory_mismatch), generic to the person", async () => {
    const sessions = env.sessionCount();
    for (const [claims, by] of [
      [{ sub: '00uAlice', email: 'someone@partner.test' }, 'external_id'],
      [{ sub: 'partner-7', email: 'alice@bank.test' }, 'verified_email'],
    ] as const) {
      partnerClaims = claims;
      const r = await signIn(partner);
      expect(r.landed).toMatch(/\/callback\?error=access_denied/);
      expect(decodeURIComponent(r.landed)).not.toMatch(/directory|mismatch|alice/i);
      expect(r.failure).toMatchObject({ target: { id: partner.id }, metadata: { reason: 'user_directory_mismatch', user_id: alice, directory_id: employees.id, protocol: 'oidc' } });
      expect(r.failure?.metadata?.detail).toContain(`by ${by}`);
    }
    expect(env.sessionCount()).toBe(sessions);
  });

  it('creates the bound OIDC connection\'s just-in-time user in its directory, out of the partner\'s reach; the partner\'s own just-in-time users stay outside any directory', async () => {
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    oktaClaims = { sub: '00uErin', email: 'erin@bank.test' };
    const erin = (await signIn(okta)).sub as string;
    expect(env.services.directory.findUserById(tenant.id, erin)).toMatchObject({ directory_id: employees.id });
    partnerClaims = { sub: '00uErin', email: 'erin@partner.test' };
    expect((await signIn(partner)).failure?.metadata).toMatchObject({ reason: 'user_directory_mismatch', user_id: erin });
    partnerClaims = { sub: 'partner-frank', email: 'frank@partner.test' };
    const frank = (await signIn(partner)).sub as string;
    expect(env.services.directory.findUserById(tenant.id, frank)).toMatchObject({ directory_id: null });
    expect(env.audit(tenant.id, 'sso.login.succeeded').at(-1)?.metadata).toMatchObject({ linked_by: 'jit', directory_id: null });
  });
});
