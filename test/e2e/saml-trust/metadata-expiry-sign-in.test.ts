import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as client from 'openid-client';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { Browser } from '../../helpers/browser.ts';
import { TestSamlIdp, answerTo, testKey } from '../../helpers/saml-idp.ts';
import { startMetadataServer, withEntityAttributes, type MetadataServer } from '../../helpers/metadata-server.ts';
import { FakeClock } from '../../../src/lib/clock.ts';
import { runSsoMaintenance } from '../../../src/sso/maintenance.ts';

const MINUTE = 60_000;
const USER = 'ada@acme.test';

/**
 * SAML V2.0 Metadata §2.2.1: metadata must not be relied on after its `validUntil`. The
 * connection keeps the earliest one of the metadata it was imported from, so the bound holds at
 * sign-in too, not only when metadata is read: once it passed (beyond the clock skew) the
 * connection signs nobody in — before the IdP, at the ACS, in an admin's test login — until a
 * refresh or an import brings current metadata. The IdP is the xml-crypto test IdP; the metadata
 * URL a real HTTPS server; the service's clock a FakeClock (the IdP's responses are made at the
 * real time, which node-saml judges them by).
 */
describe('sign-in through a SAML connection whose metadata passed its validUntil', () => {
  const clock = new FakeClock(new Date());
  const idp = new TestSamlIdp();
  let env: SsoEnv;
  let metadata: MetadataServer;
  let tenant: { id: string };
  let rp: client.Configuration;

  const at = (offsetMs: number) => new Date(clock.now().getTime() + offsetMs).toISOString();
  const until = (iso: string) => withEntityAttributes(idp.metadataXml(), { validUntil: iso });
  const path = (conn: { id: string }) => `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`;
  const failures = () => env.audit(tenant.id, 'sso.login.failed');
  /** An app's sign-in through `conn` (named, since the tenant has several), the IdP answering for Ada; `atIdp` runs while the browser is there. */
  const signIn = (conn: { id: string }, atIdp: () => void = () => {}) =>
    env.samlLogin(new Browser(), rp, idp, { organization: 'acme', connection: conn.id }, (req) => {
      atIdp();
      return answerTo(req, USER);
    });

  beforeAll(async () => {
    metadata = await startMetadataServer();
    env = await SsoEnv.start({ clock, sso: { metadataFetcher: metadata.fetcher } });
    tenant = await env.tenant('Acme', 'acme');
    rp = await env.rp(await env.app(tenant.id));
    env.provisionUser(tenant.id, { userName: USER, email: USER, externalId: USER });
  });
  afterAll(async () => {
    await env?.close();
    await metadata?.close();
  });

  it('signs in until the validUntil of metadata imported as XML (and within the clock skew after it), then refuses at the ACS and before the IdP, audited as saml_metadata_expired', async () => {
    const validUntil = at(3 * MINUTE);
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_xml: until(validUntil) } });
    expect(conn.saml.metadata_valid_until).toBe(validUntil);
    expect((await signIn(conn)).landed).toMatch(/\/callback\?code=/);

    // Passed 30 s ago: within the connection's 60 s clock skew.
    clock.set(new Date(Date.parse(validUntil) + 30_000));
    expect((await signIn(conn)).landed).toMatch(/\/callback\?code=/);

    // Sent to the IdP before, answered once it passed beyond the skew: refused at the ACS.
    const sessions = env.sessionCount();
    const answered = await signIn(conn, () => clock.set(new Date(Date.parse(validUntil) + 61_000)));
    expect(answered.landed).toMatch(/\/callback\?error=access_denied/);
    const atAcs = failures().at(-1);
    expect(atAcs?.target).toEqual({ type: 'connection', id: conn.id });
    expect(atAcs?.metadata).toMatchObject({ reason: 'saml_metadata_expired', protocol: 'saml', detail: expect.stringContaining(`IdP metadata is valid until ${validUntil} (clock skew 60 s): import the IdP's current metadata`) });

    // Started now: refused before the browser goes to the IdP (it lands back at the app at once).
    const started = await signIn(conn);
    expect(started.landed).toMatch(/\/callback\?error=access_denied/);
    expect(failures().at(-1)?.metadata).toMatchObject({ reason: 'saml_metadata_expired', connection_id: conn.id, detail: expect.stringContaining(validUntil) });
    expect(env.sessionCount()).toBe(sessions);
  });

  it('refuses an IdP-initiated response too, with the generic page', async () => {
    const app = await env.app(tenant.id, { initiate_login_uri: 'http://127.0.0.1:9/login' });
    const validUntil = at(3 * MINUTE);
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_xml: until(validUntil), allow_idp_initiated: true, idp_initiated_app_id: app.client_id } });
    const tile = () => idp.response({ recipient: conn.saml.sp.acs_url, audience: conn.saml.sp.entity_id, inResponseTo: null, nameId: USER, attributes: { email: USER } });
    const first = await new Browser().request(conn.saml.sp.acs_url, { form: { SAMLResponse: tile() } });
    expect([first.status, first.headers.get('location')]).toEqual([303, expect.stringMatching(/^http:\/\/127\.0\.0\.1:9\/login/)]);

    clock.set(new Date(Date.parse(validUntil) + 61_000));
    const sessions = env.sessionCount();
    const res = await new Browser().request(conn.saml.sp.acs_url, { form: { SAMLResponse: tile() } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Sign-in could not be completed');
    expect(failures().at(-1)?.metadata).toMatchObject({ reason: 'saml_metadata_expired' });
    expect(env.sessionCount()).toBe(sessions);
  });

  it("shows it in the admin's test login: refused at the start (422, recorded as the failed test) and on the result page of a test answered after it passed", async () => {
    const validUntil = at(3 * MINUTE);
    const conn = await env.samlConnection(tenant.id, idp, { status: 'testing', saml: { metadata_xml: until(validUntil) } });
    const req = TestSamlIdp.readAuthnRequest((await env.ok('POST', `${path(conn)}/test-login`)).url);
    clock.set(new Date(Date.parse(validUntil) + 61_000));
    const res = await new Browser().request(req.acs, { form: { RelayState: req.relayState, SAMLResponse: idp.response(answerTo(req, USER)) } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('saml_metadata_expired');
    expect((await env.ok('GET', path(conn))).last_test).toMatchObject({ outcome: 'failed', reason: 'saml_metadata_expired' });

    clock.advance(MINUTE);
    const tests = env.audit(tenant.id, 'sso.connection.test_failed').length;
    const refused = await env.api('POST', `${path(conn)}/test-login`);
    expect([refused.status, refused.body.code]).toEqual([422, 'saml_metadata_expired']);
    expect(refused.body.message).toMatch(`The connection cannot sign anyone in: the connection's IdP metadata is valid until ${validUntil}`);
    expect((await env.ok('GET', path(conn))).last_test).toMatchObject({ tested_at: clock.now().toISOString(), outcome: 'failed', reason: 'saml_metadata_expired', received: { attributes: { detail: expect.stringContaining(validUntil) } } });
    const events = env.audit(tenant.id, 'sso.connection.test_failed');
    expect(events).toHaveLength(tests + 1);
    expect(events.at(-1)).toMatchObject({ target: { type: 'connection', id: conn.id }, metadata: { reason: 'saml_metadata_expired' } });
  });

  it('signs in again once its metadata URL serves a current document: a stale one fails the refresh and keeps refusing, the scheduled refresh takes the new one', async () => {
    const validUntil = at(3 * MINUTE);
    metadata.document = until(validUntil);
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: metadata.url } });
    expect(conn.saml).toMatchObject({ metadata_url: metadata.url, metadata_valid_until: validUntil });
    expect((await signIn(conn)).landed).toMatch(/\/callback\?code=/);

    clock.set(new Date(Date.parse(validUntil) + 61_000));
    expect((await signIn(conn)).landed).toMatch(/\/callback\?error=access_denied/);
    expect(failures().at(-1)?.metadata?.detail).toMatch(/the document at its metadata URL must be current again \(a refresh takes it: POST …\/refresh-metadata\)$/);

    // The IdP still serves the same document: the refresh fails and sign-ins stay refused, saying why.
    const stale = await env.api('POST', `${path(conn)}/refresh-metadata`);
    expect([stale.status, stale.body.details.reason]).toEqual([502, expect.stringMatching(/The metadata expired/)]);
    expect((await signIn(conn)).landed).toMatch(/\/callback\?error=access_denied/);
    expect(failures().at(-1)?.metadata?.detail).toMatch(/; the last refresh failed: .*The metadata expired/);

    // The IdP publishes current metadata (with its next key): the schedule fetches it 5 minutes
    // after the failed attempt (the bound passed, so not 12 hours later), and sign-ins work again.
    const next = at(7 * 24 * 60 * MINUTE);
    metadata.document = withEntityAttributes(idp.metadataXml([idp.signer.cert, testKey('idp-next').cert]), { validUntil: next });
    clock.advance(5 * MINUTE);
    expect(await runSsoMaintenance(env.services.sso, clock, 720)).toMatchObject({ metadataRefreshed: 1, metadataFailed: 0 });
    const refreshed = await env.ok('GET', path(conn));
    expect(refreshed.saml).toMatchObject({ metadata_valid_until: next, metadata_error: null });
    expect(refreshed.saml.idp_certificates).toHaveLength(2);
    expect(env.audit(tenant.id, 'sso.connection.metadata_refreshed').at(-1)?.metadata).toMatchObject({ ok: true, metadata_valid_until: next });
    expect((await signIn(conn)).landed).toMatch(/\/callback\?code=/);
  });

  it('is cleared by a PATCH with explicit IdP fields (no metadata, no bound) and by metadata without a validUntil, and set by metadata with one', async () => {
    const validUntil = at(3 * MINUTE);
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_xml: until(validUntil) } });
    clock.set(new Date(Date.parse(validUntil) + 61_000));
    expect((await signIn(conn)).landed).toMatch(/\/callback\?error=access_denied/);

    const fields = await env.ok('PATCH', path(conn), { saml: { idp_certificates: [idp.signer.cert] } });
    expect(fields.saml).toMatchObject({ metadata_valid_until: null, metadata_url: null });
    expect(env.audit(tenant.id, 'sso.connection.updated').at(-1)).toMatchObject({ before: { saml: { metadata_valid_until: validUntil } }, after: { saml: { metadata_valid_until: null } } });
    expect((await signIn(conn)).landed).toMatch(/\/callback\?code=/);

    const later = at(60 * MINUTE);
    expect((await env.ok('PATCH', path(conn), { saml: { metadata_xml: until(later) } })).saml.metadata_valid_until).toBe(later);
    expect((await env.ok('PATCH', path(conn), { saml: { metadata_xml: idp.metadataXml() } })).saml.metadata_valid_until).toBeNull();
    expect((await signIn(conn)).landed).toMatch(/\/callback\?code=/);
  });

  it('keeps the earliest validUntil of the document, and a year beyond 9999 as the end of 9999', async () => {
    const role = at(30 * MINUTE);
    const xml = withEntityAttributes(idp.metadataXml(), { validUntil: at(60 * MINUTE) }).replace('<md:IDPSSODescriptor ', `<md:IDPSSODescriptor validUntil="${role}" `);
    expect((await env.samlConnection(tenant.id, idp, { saml: { metadata_xml: xml } })).saml.metadata_valid_until).toBe(role);
    expect((await env.samlConnection(tenant.id, idp, { saml: { metadata_xml: until('10000-01-01T00:00:00Z') } })).saml.metadata_valid_until).toBe('9999-12-31T23:59:59.999Z');
    expect((await env.samlConnection(tenant.id, idp, { saml: { metadata_xml: until('2999-06-01T12:00:00+02:00') } })).saml.metadata_valid_until).toBe('2999-06-01T10:00:00.000Z');
  });
});
