import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as client from 'openid-client';
import { SsoEnv, authorizationRequest } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo } from '../../helpers/saml-idp.ts';
import { withEntityAttributes } from '../../helpers/metadata-server.ts';
import { FakeClock } from '../../../src/lib/clock.ts';

const MINUTE = 60_000;
const USER = 'ada@acme.test';
const APP = 'http://127.0.0.1:9/';

/**
 * A SAML connection past its metadata's validUntil signs nobody in, so the IdP picker leaves it
 * out (as it does a connection in testing) and routing goes to the live one when only one is
 * left; when none is left the person gets the generic failure, audited with the reason.
 */
describe('the connection picker and connections whose metadata expired', () => {
  const clock = new FakeClock(new Date());
  let env: SsoEnv;
  let rp: client.Configuration;
  let tenantSeq = 0;

  const at = (offsetMs: number) => new Date(clock.now().getTime() + offsetMs).toISOString();
  const expiring = (idp: TestSamlIdp, offsetMs: number) => withEntityAttributes(idp.metadataXml(), { validUntil: at(offsetMs) });
  const idpNamed = (name: string) => new TestSamlIdp(`https://${name}.test/idp`, `https://${name}.test/sso`);
  const pickerLinks = async (browser: Browser, url: URL) => {
    const page = await browser.follow(url.toString(), () => false);
    const html = await page.res!.text();
    return { status: page.res!.status, html, names: [...html.matchAll(/<a href="[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]).sort() };
  };
  const newTenant = async () => {
    tenantSeq += 1;
    const t = await env.tenant(`Acme ${tenantSeq}`, `acme-${tenantSeq}`);
    env.provisionUser(t.id, { userName: USER, email: USER, externalId: USER });
    return t;
  };

  beforeAll(async () => {
    env = await SsoEnv.start({ clock });
    const t = await env.tenant('Platform', 'platform');
    rp = await env.rp(await env.app(t.id, { multi_tenant: true }));
  });
  afterAll(() => env?.close());

  it('lists only the connections that can sign in once one passed its validUntil, and goes straight to the one left', async () => {
    const tenant = await newTenant();
    const okta = idpNamed('okta-a');
    const entra = idpNamed('entra-a');
    const ping = idpNamed('ping-a');
    await env.samlConnection(tenant.id, okta, { name: 'Okta', saml: { metadata_xml: expiring(okta, 3 * MINUTE) } });
    await env.samlConnection(tenant.id, entra, { name: 'Entra ID', saml: { metadata_xml: expiring(entra, 60 * MINUTE) } });
    await env.samlConnection(tenant.id, ping, { name: 'Ping' });
    const slug = `acme-${tenantSeq}`;

    expect((await pickerLinks(new Browser(), (await authorizationRequest(rp, { organization: slug })).url)).names).toEqual(['Entra ID', 'Okta', 'Ping']);

    clock.advance(3 * MINUTE + 61_000);
    const picker = await pickerLinks(new Browser(), (await authorizationRequest(rp, { organization: slug })).url);
    expect(picker.status).toBe(200);
    expect(picker.names).toEqual(['Entra ID', 'Ping']);

    // Entra's passes too: Ping is the only one that can sign in, so no picker.
    clock.advance(60 * MINUTE);
    const flow = await env.samlLogin(new Browser(), rp, ping, { organization: slug }, (req) => answerTo(req, USER));
    expect(flow.landed).toMatch(/\/callback\?code=/);
  });

  it('routes a login_hint email past an expired connection to the live one', async () => {
    const tenant = await newTenant();
    await env.verifiedDomain(tenant.id, `hint-${tenantSeq}.test`);
    const stale = idpNamed('stale-b');
    const live = idpNamed('live-b');
    await env.samlConnection(tenant.id, stale, { name: 'Stale', saml: { metadata_xml: expiring(stale, 3 * MINUTE) } });
    await env.samlConnection(tenant.id, live, { name: 'Live' });
    clock.advance(3 * MINUTE + 61_000);
    const failures = env.audit(tenant.id, 'sso.login.failed').length;
    const flow = await env.samlLogin(new Browser(), rp, live, { login_hint: `ada@hint-${tenantSeq}.test` }, (req) => answerTo(req, USER));
    expect(flow.landed).toMatch(/\/callback\?code=/);
    expect(env.audit(tenant.id, 'sso.login.failed')).toHaveLength(failures);
  });

  it('ends the sign-in with the generic failure when every active connection expired, audited as saml_metadata_expired', async () => {
    const tenant = await newTenant();
    const a = idpNamed('a-c');
    const b = idpNamed('b-c');
    const first = await env.samlConnection(tenant.id, a, { name: 'A', saml: { metadata_xml: expiring(a, 3 * MINUTE) } });
    const second = await env.samlConnection(tenant.id, b, { name: 'B', saml: { metadata_xml: expiring(b, 4 * MINUTE) } });
    clock.advance(4 * MINUTE + 61_000);
    const sessions = env.sessionCount();
    const { url } = await authorizationRequest(rp, { organization: `acme-${tenantSeq}` });
    const ended = await new Browser().follow(url.toString(), (l) => l.startsWith(APP) || l.startsWith(a.ssoUrl) || l.startsWith(b.ssoUrl));
    expect(ended.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?error=access_denied/);
    const event = env.audit(tenant.id, 'sso.login.failed').at(-1);
    expect(event?.metadata).toMatchObject({ reason: 'saml_metadata_expired', connection_id: expect.stringMatching(new RegExp(`^(${first.id}|${second.id})$`)) });
    expect(event?.metadata?.detail).toMatch(/every active connection's IdP metadata is past its validUntil/);
    expect(event?.metadata?.detail).toEqual(expect.stringContaining(first.id));
    expect(event?.metadata?.detail).toEqual(expect.stringContaining(second.id));
    expect(env.sessionCount()).toBe(sessions);
  });
});
