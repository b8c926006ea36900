import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser, readForm } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

describe('sign-in through a SAML IdP, with openid-client as the app', () => {
  let env: SsoEnv;
  let idp: TestSamlIdp;
  let tenant: { id: string; slug: string };
  let app: { client_id: string; client_secret: string };
  let rp: client.Configuration;
  let aliceId: string;

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    idp = new TestSamlIdp();
    await env.verifiedDomain(tenant.id, 'acme.test');
    await env.samlConnection(tenant.id, idp);
    app = await env.app(tenant.id);
    rp = await env.rp(app);
    aliceId = env.provisionUser(tenant.id, { userName: 'alice@acme.test', email: 'alice@acme.test', externalId: '00u1alice', given: 'Alice', family: 'Archer' });
  });
  afterAll(() => env?.close());

  const aliceAnswers = (req: { acs: string }) => ({
    nameId: 'alice@acme.test',
    attributes: { email: 'alice@acme.test', firstName: 'Alice', lastName: 'Archer', groups: ['Engineering', 'Everyone'] },
  });

  it('issues tokens whose ID token names the user, the tenant, the connection and how they signed in', async () => {
    const browser = new Browser();
    const flow = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, aliceAnswers);
    expect(flow.landed).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?/);
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(aliceId);
    expect(claims).toMatchObject({ email: 'alice@acme.test', name: 'Alice Archer', org_id: tenant.id, org_slug: 'acme', amr: ['pwd'] });
    expect(claims.groups).toEqual(['Engineering', 'Everyone']);
    expect(claims.acr).toBe('urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport');
    expect(typeof claims.auth_time).toBe('number');
    expect(String(claims.connection_id)).toMatch(/^conn_/);
    const userinfo = await client.fetchUserInfo(rp, tokens.access_token, aliceId);
    expect(userinfo).toMatchObject({ sub: aliceId, email: 'alice@acme.test', org_id: tenant.id });
    expect(tokens.refresh_token).toBeTruthy();
    expect(env.audit(tenant.id, 'sso.login.succeeded')).toHaveLength(1);
  });

  it('refuses an authorization request without PKCE, or with the plain method, before any IdP is involved', async () => {
    const failures = env.audit(tenant.id, 'sso.login.failed').length;
    const base = { redirect_uri: 'http://127.0.0.1:9/callback', scope: 'openid', state: 'st', organization: 'acme' };
    const verifier = client.randomPKCECodeVerifier();
    for (const params of [base, { ...base, code_challenge: verifier, code_challenge_method: 'plain' }]) {
      const done = await new Browser().follow(client.buildAuthorizationUrl(rp, params).toString(), (l) => l.startsWith('http://127.0.0.1:9/') || l.startsWith(idp.ssoUrl));
      const landed = new URL(done.url);
      expect(landed.origin + landed.pathname).toBe('http://127.0.0.1:9/callback');
      expect(landed.searchParams.get('error')).toBe('invalid_request');
      expect(landed.searchParams.get('error_description')).toMatch(params === base ? /requires PKCE/ : /code_challenge_method/);
    }
    expect(env.audit(tenant.id, 'sso.login.failed')).toHaveLength(failures);
  });
});
