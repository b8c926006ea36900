import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import type { OAuth2Server } from 'oauth2-mock-server';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { startUpstreamIdp } from '../../helpers/upstream-idp.ts';

/**
 * An upstream `auth_time` beyond what a date can hold (an IdP that writes it in microseconds):
 * openid-client accepts any positive number, so the sign-in must not fail on it as an internal
 * error. Like any `auth_time` later than the sign-in, it is taken as the sign-in itself.
 */
describe('an upstream auth_time too large to be a date', () => {
  let env: SsoEnv;
  let idp: OAuth2Server;
  let tenant: { id: string };
  let rp: client.Configuration;
  let claims: Record<string, unknown> = {};

  beforeAll(async () => {
    idp = await startUpstreamIdp(() => claims);
    env = await SsoEnv.start();
    tenant = await env.tenant('Umbrella', 'umbrella');
    await env.ok('PUT', `/admin/v1/tenants/${tenant.id}/sso-settings`, { jit_provisioning: true });
    await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, {
      name: 'Generic OIDC',
      protocol: 'oidc',
      status: 'active',
      oidc: { issuer: idp.issuer.url, client_id: 'portcullis', client_secret: 'upstream-secret', scopes: 'openid email' },
    });
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(async () => {
    await env?.close();
    await idp?.stop();
  });

  it('signs the person in, with auth_time the time of the sign-in', async () => {
    const before = Math.floor(Date.now() / 1000);
    claims = { sub: 'micro-1', email: 'micro@umbrella.test', auth_time: Math.floor(Date.now() * 1000) };
    const { url, verifier, state } = await authorizationRequest(rp, { organization: 'umbrella' });
    const done = await new Browser().follow(url.toString(), (l) => l.startsWith('http://127.0.0.1:9/'));
    expect(env.audit(tenant.id, 'sso.login.failed').map((e) => e.metadata?.reason)).toEqual([]);
    expect(done.url).toMatch(/\/callback\?code=/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()!.auth_time).toBeGreaterThanOrEqual(before);
    expect(tokens.claims()!.auth_time).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });
});
