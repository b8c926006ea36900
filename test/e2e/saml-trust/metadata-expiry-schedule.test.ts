import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { startMetadataServer, withEntityAttributes, type MetadataServer } from '../../helpers/metadata-server.ts';
import { FakeClock } from '../../../src/lib/clock.ts';
import { runSsoMaintenance } from '../../../src/sso/maintenance.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A real Portcullis over a FakeClock whose SAML metadata URLs are served by a real HTTPS server. */
async function start(): Promise<{ env: SsoEnv; metadata: MetadataServer; clock: FakeClock; tenant: { id: string }; close(): Promise<void> }> {
  const clock = new FakeClock(new Date());
  const metadata = await startMetadataServer();
  const env = await SsoEnv.start({ clock, sso: { metadataFetcher: metadata.fetcher } });
  const tenant = await env.tenant('Acme', 'acme');
  return { env, metadata, clock, tenant, close: async () => (await env.close(), await metadata.close()) };
}

/**
 * Operators see the metadata bounds coming: /metrics counts the active SAML connections by
 * their metadata's validUntil (and whether a metadata URL refreshes it), as it counts them by
 * IdP certificate expiry.
 */
describe('metadata validUntil in /metrics', () => {
  let s: Awaited<ReturnType<typeof start>>;
  const idp = new TestSamlIdp();
  beforeAll(async () => (s = await start()));
  afterAll(() => s?.close());

  const gauge = async () => {
    const text = await (await fetch(`${s.env.direct}/metrics`)).text();
    const series = [...text.matchAll(/^portcullis_sso_saml_connections_metadata\{metadata="(\w+)",source="(\w+)"\} (\d+)$/gm)];
    return Object.fromEntries(series.filter((m) => m[3] !== '0').map((m) => [`${m[1]} ${m[2]}`, Number(m[3])]));
  };

  it('counts active SAML connections whose metadata is valid (or unbounded), expires within 30 days, or has expired beyond the clock skew, by source', async () => {
    const { env, metadata, clock, tenant } = s;
    const at = (offsetMs: number) => new Date(clock.now().getTime() + offsetMs).toISOString();
    const xml = (validUntil?: string) => (validUntil ? withEntityAttributes(idp.metadataXml(), { validUntil }) : idp.metadataXml());
    const soon = at(10 * DAY);
    await env.samlConnection(tenant.id, idp, { name: 'far', saml: { metadata_xml: xml(at(60 * DAY)) } });
    await env.samlConnection(tenant.id, idp, { name: 'soon', saml: { metadata_xml: xml(soon) } });
    await env.samlConnection(tenant.id, idp, { name: 'unbounded', saml: { metadata_xml: xml() } });
    await env.samlConnection(tenant.id, idp, { name: 'testing', status: 'testing', saml: { metadata_xml: xml(soon) } });
    metadata.document = xml(soon);
    await env.samlConnection(tenant.id, idp, { name: 'by url', saml: { metadata_url: metadata.url } });
    await env.ok('POST', `/admin/v1/tenants/${tenant.id}/connections`, { name: 'oidc', protocol: 'oidc', status: 'active', oidc: { issuer: 'https://login.example.test', client_id: 'c' } });

    expect(await gauge()).toEqual({ 'valid static': 2, 'expiring static': 1, 'expiring url': 1 });
    // Passed 30 s ago: sign-ins still pass within the 60 s skew, so not expired yet.
    clock.set(new Date(Date.parse(soon) + 30_000));
    expect(await gauge()).toEqual({ 'valid static': 2, 'expiring static': 1, 'expiring url': 1 });
    clock.set(new Date(Date.parse(soon) + 61_000));
    expect(await gauge()).toEqual({ 'valid static': 2, 'expired static': 1, 'expired url': 1 });
    clock.advance(21 * DAY);
    expect(await gauge()).toEqual({ 'valid static': 1, 'expiring static': 1, 'expired static': 1, 'expired url': 1 });
    // The certificate gauge beside it is unchanged: every active SAML connection, by its newest certificate.
    expect(await (await fetch(`${env.direct}/metrics`)).text()).toMatch(/^portcullis_sso_saml_connections\{idp_certificate="valid"\} 4$/m);
  });
});

/**
 * The scheduled refresh re-fetches a metadata URL every PORTCULLIS_SAML_METADATA_REFRESH_MINUTES
 * (720 here), sooner when the document asks for it (`cacheDuration`, SAML V2.0 Metadata
 * §2.2.1) or when its `validUntil` would pass before the next scheduled fetch — either at most
 * every 5 minutes. Fetches are counted as the audited refresh attempts of the connection.
 */
describe('the scheduled metadata refresh and the document it serves', () => {
  let s: Awaited<ReturnType<typeof start>>;
  const idp = new TestSamlIdp();
  beforeAll(async () => (s = await start()));
  afterAll(() => s?.close());

  async function connection(document: string, status: 'testing' | 'inactive' = 'testing') {
    s.metadata.document = document;
    const conn = await s.env.samlConnection(s.tenant.id, idp, { status: 'testing', saml: { metadata_url: s.metadata.url } });
    if (status === 'inactive') await s.env.ok('PATCH', `/admin/v1/tenants/${s.tenant.id}/connections/${conn.id}`, { status });
    const fetches = () => s.env.audit(s.tenant.id, 'sso.connection.metadata_refreshed').filter((e) => e.target?.id === conn.id).length;
    /** Moves the clock on and runs one housekeeping pass: whether the connection's URL was fetched. */
    const after = async (ms: number) => {
      const before = fetches();
      s.clock.advance(ms);
      await runSsoMaintenance(s.env.services.sso, s.clock, 720);
      return fetches() - before;
    };
    return { conn, after };
  }

  it("fetches again once the document's cacheDuration has passed since the last fetch, not before, and no more often than every 5 minutes", async () => {
    const { after } = await connection(withEntityAttributes(idp.metadataXml(), { cacheDuration: 'PT1H' }));
    expect(await after(59 * MINUTE)).toBe(0);
    expect(await after(MINUTE)).toBe(1);
    expect(await after(59 * MINUTE)).toBe(0);
    // The IdP now asks for a minute: the floor of 5 minutes holds.
    s.metadata.document = withEntityAttributes(idp.metadataXml(), { cacheDuration: 'PT1M' });
    expect(await after(MINUTE)).toBe(1);
    expect(await after(4 * MINUTE)).toBe(0);
    expect(await after(MINUTE)).toBe(1);
    // The shortest cacheDuration counts (here the role's), and a malformed one is ignored.
    s.metadata.document = withEntityAttributes(idp.metadataXml(), { cacheDuration: 'soon' }).replace('<md:IDPSSODescriptor ', '<md:IDPSSODescriptor cacheDuration="PT2H" ');
    expect(await after(5 * MINUTE)).toBe(1);
    expect(await after(119 * MINUTE)).toBe(0);
    expect(await after(MINUTE)).toBe(1);
    // None at all: back to the 12-hour schedule.
    s.metadata.document = idp.metadataXml();
    expect(await after(2 * 60 * MINUTE)).toBe(1);
    expect(await after(12 * 60 * MINUTE)).toBe(0);
    expect(await after(MINUTE)).toBe(1);
  });

  it('fetches a document whose validUntil would pass before the next scheduled fetch every 5 minutes, so a republished one is taken before sign-ins stop', async () => {
    const soon = new Date(s.clock.now().getTime() + 2 * 60 * MINUTE).toISOString();
    const { conn, after } = await connection(withEntityAttributes(idp.metadataXml(), { validUntil: soon }));
    // An inactive connection signs nobody in: it keeps the usual schedule.
    const inactive = await connection(withEntityAttributes(idp.metadataXml(), { validUntil: soon }), 'inactive');
    expect(await inactive.after(4 * MINUTE)).toBe(0);
    expect(await after(MINUTE)).toBe(1);
    expect(await inactive.after(5 * MINUTE)).toBe(0);
    const later = new Date(s.clock.now().getTime() + 7 * DAY).toISOString();
    s.metadata.document = withEntityAttributes(idp.metadataXml(), { validUntil: later });
    expect(await after(5 * MINUTE)).toBe(1);
    expect((await s.env.ok('GET', `/admin/v1/tenants/${s.tenant.id}/connections/${conn.id}`)).saml.metadata_valid_until).toBe(later);
    // A week away: the usual schedule again.
    expect(await after(5 * MINUTE)).toBe(0);
    expect(await after(11 * 60 * MINUTE)).toBe(0);
    expect(await after(60 * MINUTE)).toBe(1);
  });
});
