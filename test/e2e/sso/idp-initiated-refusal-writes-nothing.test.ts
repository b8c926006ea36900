import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';

/**
 * The ACS of a connection that allows IdP-initiated sign-in takes posts from anyone: a refused
 * unsolicited response changes nothing but the audit log (no login state left behind for each
 * forged post), while an accepted one still leaves the state the app's next request completes.
 */
describe('a refused IdP-initiated SAML response', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let acs: string;
  let audience: string;
  const idp = new TestSamlIdp();
  const states = () => (env.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM sso_login_states').get() as { n: number }).n;
  const lastReason = () => env.audit(tenant.id, 'sso.login.failed').at(-1)?.metadata?.reason;

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

  it('leaves no login state behind when the SAMLResponse is garbage', async () => {
    const before = states();
    const res = await new Browser().request(acs, { form: { SAMLResponse: Buffer.from('<not-saml/>').toString('base64') } });
    expect(res.status).toBe(400);
    expect(lastReason()).toBe('saml_malformed');
    expect(states()).toBe(before);
  });

  it('leaves no login state behind when the response is signed by an untrusted key', async () => {
    const before = states();
    const raw = idp.response({ recipient: acs, audience, inResponseTo: null, nameId: 'ida@acme.test', signer: testKey('attacker') });
    const res = await new Browser().request(acs, { form: { SAMLResponse: raw } });
    expect(res.status).toBe(400);
    expect(lastReason()).toBe('saml_signature_invalid');
    expect(states()).toBe(before);
  });

  it('leaves no login state behind when a valid response names an unknown user', async () => {
    const before = states();
    const raw = idp.response({ recipient: acs, audience, inResponseTo: null, nameId: 'nobody@acme.test', attributes: { email: 'nobody@acme.test' } });
    const res = await new Browser().request(acs, { form: { SAMLResponse: raw } });
    expect(res.status).toBe(400);
    expect(lastReason()).toBe('user_not_provisioned');
    expect(states()).toBe(before);
  });

  it('still records the state an accepted tile click hands to the app', async () => {
    const before = states();
    const raw = idp.response({ recipient: acs, audience, inResponseTo: null, nameId: 'ida@acme.test', attributes: { email: 'ida@acme.test' } });
    const res = await new Browser().request(acs, { form: { SAMLResponse: raw } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:9\/login\?/);
    expect(states()).toBe(before + 1);
  });
});
