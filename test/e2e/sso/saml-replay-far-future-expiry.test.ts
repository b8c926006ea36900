import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';

/**
 * The replay cache keeps an assertion id until the assertion expires (plus the largest skew).
 * An IdP that writes "never" as the last representable xs:dateTime (9999-12-31T23:59:59Z) makes
 * that keep-until fall in year 10000, whose ISO string (`+010000-…`) sorts before today's: the id
 * must still be remembered, not purged as already expired.
 */
describe('SAML replay cache with an assertion valid until 9999-12-31', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let acs: string;
  let audience: string;
  const idp = new TestSamlIdp();
  const never = new Date('9999-12-31T23:59:59Z');

  beforeAll(async () => {
    env = await SsoEnv.start();
    tenant = await env.tenant('Acme', 'acme');
    const app = await env.app(tenant.id, { initiate_login_uri: 'http://127.0.0.1:9/login' });
    const conn = await env.samlConnection(tenant.id, idp, { saml: { allow_idp_initiated: true, idp_initiated_app_id: app.client_id } });
    acs = conn.saml.sp.acs_url;
    audience = conn.saml.sp.entity_id;
    env.provisionUser(tenant.id, { userName: 'ida@acme.test', email: 'ida@acme.test', externalId: 'ida@acme.test' });
  });
  afterAll(() => env?.close());

  it('refuses the same assertion posted a second time', async () => {
    const raw = idp.response({ id: '_never_expires', recipient: acs, audience, inResponseTo: null, nameId: 'ida@acme.test', notOnOrAfter: never });
    const first = await new Browser().request(acs, { form: { SAMLResponse: raw } });
    expect(first.status).toBe(303);
    const sessions = env.sessionCount();
    const second = await new Browser().request(acs, { form: { SAMLResponse: raw } });
    expect(second.status).toBe(400);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('saml_assertion_replayed');
    expect(env.sessionCount()).toBe(sessions);
  });

  it('keeps the id through the periodic purge of expired entries', async () => {
    const raw = idp.response({ id: '_never_expires_purged', recipient: acs, audience, inResponseTo: null, nameId: 'ida@acme.test', notOnOrAfter: never });
    expect((await new Browser().request(acs, { form: { SAMLResponse: raw } })).status).toBe(303);
    env.services.sso.replay.purgeExpired(new Date());
    const again = await new Browser().request(acs, { form: { SAMLResponse: raw } });
    expect(again.status).toBe(400);
    expect(env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason).toBe('saml_assertion_replayed');
  });
});
