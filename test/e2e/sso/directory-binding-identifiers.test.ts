import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { bankWithPartner, type ScimDirectory } from '../../helpers/scim-directory.ts';

/**
 * The directory binding against identifier variants: an email differing from the pushed one in
 * case (also outside ASCII), Unicode normalisation, surrounding whitespace, a secondary address.
 * The partner's unbound connection must be refused (no look-alike), the bound one must link.
 */
describe('a bound directory against identifier variants (SAML)', () => {
  let env: SsoEnv;
  let tenant: { id: string };
  let rp: client.Configuration;
  let employees: ScimDirectory;
  let okta: { id: string };
  let partner: { id: string };
  const oktaIdp = new TestSamlIdp();
  const partnerIdp = new TestSamlIdp('https://partner.example/saml/idp', 'https://idp.partner.test/sso', testKey('attacker'));

  beforeAll(async () => {
    env = await SsoEnv.start();
    ({ tenant, employees, okta, partner } = await bankWithPartner(env, { okta: oktaIdp, partner: partnerIdp }, { jit: true }));
    rp = await env.rp(await env.app(tenant.id));
  });
  afterAll(() => env?.close());

  const failures = () => env.audit(tenant.id, 'sso.login.failed');
  const created = () => env.audit(tenant.id, 'directory.user.created').length;
  const pushUser = async (doc: Record<string, unknown>): Promise<string> => {
    const r = await employees.call('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], active: true, ...doc });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };

  async function signIn(conn: { id: string }, idp: TestSamlIdp, nameId: string, email: string) {
    const failed = failures().length;
    const flow = await env.samlLogin(new Browser(), rp, idp, { organization: 'bank', connection: conn.id }, () => ({ nameId, attributes: { email } }));
    if (!/\/callback\?code=/.test(flow.landed)) return { landed: flow.landed, failure: failures().slice(failed).at(-1) };
    const tokens = await client.authorizationCodeGrant(rp, new URL(flow.landed), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    return { sub: tokens.claims()!.sub, email: tokens.claims()!.email };
  }

  // Emails are compared by their folded column (migration 0015): SQLite's NOCASE folds only ASCII.
  it("refuses the partner asserting a bound user's email with an upper-case letter outside ASCII, in any case, and creates no look-alike user", async () => {
    await pushUser({ userName: 'elise', externalId: '00uElise', emails: [{ value: 'Élise@bank.test', type: 'work', primary: true }] });
    const before = created();
    for (const email of ['Élise@bank.test', 'élise@bank.test', 'ÉLISE@BANK.TEST']) {
      const r = await signIn(partner, partnerIdp, `contractor-${email}`, email);
      expect([email, r.failure?.metadata?.reason]).toEqual([email, 'user_directory_mismatch']);
    }
    expect(created()).toBe(before);
  });

  it('links a bound user whose pushed email has an upper-case letter outside ASCII through the bound connection by verified email', async () => {
    const elise = env.services.directory.findUserByExternalId(tenant.id, '00uElise')!.id;
    const before = created();
    expect(await signIn(okta, oktaIdp, 'okta-subject-elise', 'Élise@bank.test')).toMatchObject({ sub: elise });
    expect(created()).toBe(before);
  });

  it("refuses the partner asserting a bound user's secondary email, in other ASCII case, decomposed Unicode or with surrounding spaces", async () => {
    const zoe = await pushUser({
      userName: 'zoe',
      externalId: '00uZoe',
      emails: [
        { value: 'zoe@bank.test', type: 'work', primary: true },
        { value: 'zoë.smith@bank.test', type: 'other' },
      ],
    });
    const before = created();
    for (const email of ['ZOË.Smith@Bank.Test', 'zoe\u0308.smith@bank.test', '  zoë.smith@bank.test  ']) {
      const r = await signIn(partner, partnerIdp, `contractor-${email.trim()}`, email);
      expect([email, r.failure?.metadata]).toEqual([email, expect.objectContaining({ reason: 'user_directory_mismatch', user_id: zoe })]);
    }
    expect(created()).toBe(before);
  });

  it("refuses the partner's external id differing from a bound user's only in case or spacing as someone else (never that user)", async () => {
    const yan = await pushUser({ userName: 'yan', externalId: '00uYan', emails: [{ value: 'yan@bank.test', type: 'work', primary: true }] });
    for (const nameId of ['00UYAN', ' 00uYan ']) {
      const r = await signIn(partner, partnerIdp, nameId, 'someone@partner.test');
      expect(r.sub).not.toBe(yan);
    }
  });

  it("does not let the partner take a bound user's user name just in time (user name equals the asserted external id, no email)", async () => {
    await pushUser({ userName: 'xavier', externalId: '00uXavier' });
    const before = created();
    const flowFailed = failures().length;
    const flow = await env.samlLogin(new Browser(), rp, partnerIdp, { organization: 'bank', connection: partner.id }, () => ({ nameId: 'XAVIER', attributes: {} }));
    expect(flow.landed).toMatch(/error=access_denied/);
    expect(failures().slice(flowFailed).at(-1)?.metadata?.reason).toBe('user_name_taken');
    expect(created()).toBe(before);
  });

  it("refuses an IdP-initiated sign-in through an unbound connection asserting a bound user's external id, with no session and no landing in the app", async () => {
    const yan = env.services.directory.findUserByExternalId(tenant.id, '00uYan')!.id;
    const app = await env.app(tenant.id, { initiate_login_uri: 'http://127.0.0.1:9/login' });
    const tile = new TestSamlIdp('https://partner-tiles.example/saml/idp', 'https://tiles.partner.test/sso', testKey('attacker'));
    const conn = await env.samlConnection(tenant.id, tile, { name: 'Partner tiles', attribute_preset: 'generic', saml: { allow_idp_initiated: true, idp_initiated_app_id: app.client_id } });
    const sessions = env.sessionCount();
    const raw = tile.response({ recipient: conn.saml.sp.acs_url, audience: conn.saml.sp.entity_id, inResponseTo: null, nameId: '00uYan', attributes: { email: 'yan@bank.test' } });
    const landed = await new Browser().follow(conn.saml.sp.acs_url, (l) => l.startsWith('http://127.0.0.1:9/'), { form: { SAMLResponse: raw } });
    expect(landed.url).not.toMatch(/^http:\/\/127\.0\.0\.1:9\/login/);
    expect(failures().at(-1)).toMatchObject({ target: { id: conn.id }, metadata: { reason: 'user_directory_mismatch', user_id: yan } });
    expect(env.sessionCount()).toBe(sessions);
  });
});
