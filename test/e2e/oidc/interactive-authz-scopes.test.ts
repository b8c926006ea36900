import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * An app registered with authorization-API scopes (for its client credentials) that asks for
 * one of them in a sign-in gets a clean `invalid_scope` at its redirect URI, with or without a
 * browser session: a person is never granted them, and the provider asking for the missing
 * grant again and again sent the browser round in circles.
 */
describe('authorization-API scopes asked for in a sign-in', () => {
  let env: SsoEnv;
  const idp = new TestSamlIdp('http://www.okta.com/exkSCOPES', 'https://scopes.okta.test/sso');
  let rp: client.Configuration;
  const alice = () => ({ nameId: 'alice@acme.test', attributes: { email: 'alice@acme.test' } });
  const atApp = (l: string) => l.startsWith('http://127.0.0.1:9/') || l.startsWith(idp.ssoUrl);

  beforeAll(async () => {
    env = await SsoEnv.start();
    const acme = await env.tenant('Acme', 'acme');
    await env.verifiedDomain(acme.id, 'acme.test');
    await env.samlConnection(acme.id, idp);
    env.provisionUser(acme.id, { userName: 'alice@acme.test', email: 'alice@acme.test' });
    rp = await env.rp(await env.app(acme.id, { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], authz_scopes: ['authz:read'] }));
  });
  afterAll(() => env?.close());

  it('answers invalid_scope before the IdP visit when the browser has no session', async () => {
    const { url } = await authorizationRequest(rp, { organization: 'acme', scope: 'openid authz:read' });
    const done = await new Browser().follow(url.toString(), atApp);
    expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=invalid_scope/);
  });

  it('answers invalid_scope to a browser already signed in, whose session lives on', async () => {
    const browser = new Browser();
    const first = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, alice);
    expect(first.landed).toMatch(/\/callback\?code=/);
    const { url } = await authorizationRequest(rp, { organization: 'acme', scope: 'openid authz:read' });
    const done = await browser.follow(url.toString(), atApp);
    expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=invalid_scope/);
    const again = await authorizationRequest(rp, { organization: 'acme' });
    expect((await browser.follow(again.url.toString(), atApp)).url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
  });
});
