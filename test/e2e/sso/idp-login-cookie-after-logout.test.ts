import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser, readForm } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';

const APP = 'http://127.0.0.1:9/';

/**
 * A tile click (IdP-initiated SAML) while the browser is already signed in to the app: the app's
 * authorization request is answered from the existing sign-in, no sign-in interaction runs, so
 * nothing reads the `ptc_idp_login` cookie. Once the person signs out, the next sign-in in that
 * browser (another person at a shared computer) must go to the IdP, not be signed in as them
 * by the tile click they made before signing out.
 */
describe('a tile click while signed in, then sign-out', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let acs: string;
  let audience: string;
  let ida: string;
  const idp = new TestSamlIdp();

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    const app = await env.app(tenant.id, { initiate_login_uri: `${APP}login` });
    rp = await env.rp(app);
    const conn = await env.samlConnection(tenant.id, idp, { saml: { allow_idp_initiated: true, idp_initiated_app_id: app.client_id } });
    acs = conn.saml.sp.acs_url;
    audience = conn.saml.sp.entity_id;
    ida = env.provisionUser(tenant.id, { userName: 'ida@acme.test', email: 'ida@acme.test', externalId: 'ida@acme.test' });
  });
  afterAll(() => env?.close());

  it("sends the next sign-in in that browser to the IdP instead of signing it in as the person who signed out", async () => {
    const browser = new Browser();
    const first = await env.samlLogin(browser, rp, idp, { organization: 'acme' }, (req) => answerTo(req, 'ida@acme.test'));
    const tokens = await client.authorizationCodeGrant(rp, new URL(first.landed), { pkceCodeVerifier: first.verifier, expectedState: first.state });

    // The tile click: the ACS sends the browser to the app, whose authorization request the existing sign-in answers.
    const raw = idp.response({ recipient: acs, audience, inResponseTo: null, nameId: 'ida@acme.test', attributes: { email: 'ida@acme.test' } });
    expect((await browser.follow(acs, (l) => l.startsWith(APP), { form: { SAMLResponse: raw } })).url).toMatch(/^http:\/\/127\.0\.0\.1:9\/login\?iss=/);
    const again = await authorizationRequest(rp, { scope: 'openid email' });
    expect((await browser.follow(again.url.toString(), (l) => l.startsWith(APP) || l.startsWith(idp.ssoUrl))).url).toMatch(/\/callback\?code=/);

    // Sign out at Portcullis (RP-initiated logout).
    const endUrl = client.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token as string, post_logout_redirect_uri: `${APP}logged-out` });
    const form = readForm(await (await browser.request(endUrl.toString())).text());
    const out = await browser.follow(new URL(form.action, env.base).toString(), (l) => l.startsWith(APP), { form: { ...form.fields, logout: 'yes' } });
    expect(out.url).toMatch(/logged-out/);

    // Someone else opens the app in that browser.
    const next = await authorizationRequest(rp, { scope: 'openid email' });
    const landed = (await browser.follow(next.url.toString(), (l) => l.startsWith(APP) || l.startsWith(idp.ssoUrl))).url;
    if (/\/callback\?code=/.test(landed)) {
      const stolen = await client.authorizationCodeGrant(rp, new URL(landed), { pkceCodeVerifier: next.verifier, expectedState: next.state });
      expect(stolen.claims()?.sub).not.toBe(ida);
    }
    expect(landed.startsWith(idp.ssoUrl)).toBe(true);
  });
});
