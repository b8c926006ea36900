import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { TestSamlIdp, testKey } from '../../helpers/saml-idp.ts';
import { httpsMetadataFetcher } from '../../../src/sso/saml/metadata-fetch.ts';
import { runSsoMaintenance } from '../../../src/sso/maintenance.ts';

const KEYS = join(import.meta.dirname, '../../../fixtures/saml/keys');
const tls = { key: readFileSync(join(KEYS, 'idp.key.pem'), 'utf8'), cert: readFileSync(join(KEYS, 'idp.cert.pem'), 'utf8') };
/** The fixture certificate's name: the local IdP answers as this host, named as an on-premises IdP. */
const HOST = 'test-idp.portcullis.invalid';

const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const HOUR = 3600_000;
/** The instant `ms` written in the zone `offset` (`+02:00`): the local time there, then the offset. */
function zoned(ms: number, offset: string): string {
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number) as [number, number];
  return new Date(ms + sign * (h * 60 + m) * 60_000).toISOString().slice(0, 19) + offset;
}
/** The IdP's metadata with `validUntil` on its EntityDescriptor. */
const until = (xml: string, value: string) => xml.replace('<md:EntityDescriptor ', `<md:EntityDescriptor validUntil="${value}" `);
/** The IdP's metadata inside a federation aggregate whose EntitiesDescriptor carries `validUntil`. */
const aggregateUntil = (xml: string, value: string) =>
  `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" validUntil="${value}">${xml.replace(/^<\?xml[^>]*\?>/, '')}</md:EntitiesDescriptor>`;

/**
 * SAML metadata's `validUntil` (SAML V2.0 Metadata §2.2.1) says when the document stops being
 * fit to rely on: an IdP (or a federation) that stopped refreshing a document, or a stale copy
 * served from a cache or a mirror, may list keys and URLs the IdP has since replaced. Such a
 * document is refused at import (XML or URL: 400 `metadata_expired`) and counts as a failed
 * refresh (the connection keeps the trust it had); a `validUntil` that is not a date is refused too.
 */
describe('IdP metadata past its validUntil', () => {
  let env: SsoEnv;
  let server: Server;
  let url = '';
  let tenant: { id: string };
  const idp = new TestSamlIdp('https://idp.example.test/entity', 'https://idp.example.test/sso');
  let serve: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end(idp.metadataXml());
  const connections = () => (env.services.storage.sql.raw.prepare('SELECT count(*) AS n FROM sso_connections').get() as { n: number }).n;
  const create = (saml: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    env.api('POST', `/admin/v1/tenants/${tenant.id}/connections`, { name: 'Imported', protocol: 'saml', saml, ...extra });

  beforeAll(async () => {
    server = createServer(tls, (req, res) => serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://${HOST}:${(server.address() as { port: number }).port}/app/metadata`;
    const fetcher = httpsMetadataFetcher({ lookup: async () => [{ address: '127.0.0.1', family: 4 }], privateHosts: [HOST], ca: tls.cert, timeoutMs: 2_000 });
    env = await SsoEnv.start({ sso: { metadataFetcher: fetcher } });
    tenant = await env.tenant('Acme', 'acme');
  });
  afterAll(async () => {
    await env?.close();
    await new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
  });

  async function refused(saml: Record<string, unknown>, code: string, message: RegExp) {
    const before = connections();
    const r = await create(saml);
    expect([r.status, r.body.code]).toEqual([400, code]);
    expect(r.body.message).toMatch(message);
    expect(connections()).toBe(before);
  }

  it('refuses metadata XML whose EntityDescriptor expired (400 metadata_expired), creating nothing', async () => {
    await refused({ metadata_xml: until(idp.metadataXml(), at(-2 * HOUR)) }, 'metadata_expired', /^saml\.metadata_xml: The metadata expired: its EntityDescriptor is valid until /);
  });

  it('refuses expired metadata in a PATCH too, leaving the connection as it was', async () => {
    const conn = await env.samlConnection(tenant.id, idp);
    const path = `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`;
    const r = await env.api('PATCH', path, { saml: { metadata_xml: until(idp.metadataXml([testKey('idp-next').cert]), at(-2 * HOUR)) } });
    expect([r.status, r.body.code]).toEqual([400, 'metadata_expired']);
    const after = await env.ok('GET', path);
    expect([after.updated_at, after.saml.idp_certificates]).toEqual([conn.updated_at, conn.saml.idp_certificates]);
  });

  it('refuses metadata whose enclosing EntitiesDescriptor expired, or whose IDPSSODescriptor did', async () => {
    await refused({ metadata_xml: aggregateUntil(idp.metadataXml(), at(-2 * HOUR)) }, 'metadata_expired', /EntitiesDescriptor is valid until/);
    const role = idp.metadataXml().replace('<md:IDPSSODescriptor ', `<md:IDPSSODescriptor validUntil="${at(-2 * HOUR)}" `);
    await refused({ metadata_xml: role }, 'metadata_expired', /IDPSSODescriptor is valid until/);
  });

  it('refuses metadata fetched from a URL that expired (400 metadata_expired), naming the document', async () => {
    serve = (_req, res) => res.end(until(idp.metadataXml(), at(-2 * HOUR)));
    await refused({ metadata_url: url }, 'metadata_expired', /^saml\.metadata_url \(the document at https:\/\/test-idp\.portcullis\.invalid:\d+\/app\/metadata\): The metadata expired/);
  });

  it('refuses a validUntil that is not a date and time (400 invalid_metadata)', async () => {
    for (const bad of ['tomorrow', '2030-02-30T00:00:00Z', '2030-01-31', '2030-01-31T25:00:00Z', '']) {
      await refused({ metadata_xml: until(idp.metadataXml(), bad) }, 'invalid_metadata', /validUntil .* is not a date and time/);
      await refused({ metadata_xml: aggregateUntil(idp.metadataXml(), bad) }, 'invalid_metadata', /EntitiesDescriptor's validUntil/);
    }
  });

  it('accepts a validUntil in the future, or passed by less than the clock skew, in any xs:dateTime form', async () => {
    for (const value of [at(HOUR), zoned(Date.now() + HOUR, '+02:00'), zoned(Date.now() + HOUR, '-05:30'), at(HOUR).replace(/\.\d{3}Z$/, ''), '9999-12-31T23:59:59Z', '10000-01-01T00:00:00Z']) {
      const r = await create({ metadata_xml: aggregateUntil(until(idp.metadataXml(), value), value) });
      expect([value, r.status]).toEqual([value, 201]);
    }
    // The same instants, passed: refused whatever the spelling.
    for (const value of [zoned(Date.now() - HOUR, '+02:00'), zoned(Date.now() - HOUR, '-05:30'), at(-HOUR).replace(/\.\d{3}Z$/, '')]) {
      await refused({ metadata_xml: until(idp.metadataXml(), value) }, 'metadata_expired', /expired/);
    }
    // Passed 30 s ago: within the default 60 s skew, not within a connection's 10 s.
    expect((await create({ metadata_xml: until(idp.metadataXml(), at(-30_000)) })).status).toBe(201);
    await refused({ metadata_xml: until(idp.metadataXml(), at(-30_000)), clock_skew_seconds: 10 }, 'metadata_expired', /expired/);
  });

  it('counts an expired document as a failed refresh, manual (502) or scheduled: audited, and the connection keeps its trust', async () => {
    serve = (_req, res) => res.end(until(idp.metadataXml(), at(HOUR)));
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: url } });
    const path = `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`;
    const events = () => env.audit(tenant.id, 'sso.connection.metadata_refreshed').filter((e) => e.target?.id === conn.id);

    // The IdP rolled its key over, but the document now served is a stale copy, already expired.
    serve = (_req, res) => res.end(until(idp.metadataXml([testKey('idp-next').cert]), at(-2 * HOUR)));
    const r = await env.api('POST', `${path}/refresh-metadata`);
    expect([r.status, r.body.code]).toEqual([502, 'idp_metadata_unavailable']);
    expect(r.body.details.reason).toMatch(/The metadata expired: its EntityDescriptor is valid until/);
    let after = await env.ok('GET', path);
    expect(after.saml.idp_certificates).toEqual(conn.saml.idp_certificates);
    expect(after.saml.metadata_error).toBe(r.body.details.reason);
    expect(events().at(-1)?.metadata).toMatchObject({ ok: false, error: r.body.details.reason, certificates: conn.saml.idp_certificates.map((c: { fingerprint: string }) => c.fingerprint) });

    const later = { now: () => new Date(Date.now() + 13 * HOUR) };
    const before = events().length;
    const result = await runSsoMaintenance(env.services.sso, later, 720);
    expect(result.metadataFailed).toBeGreaterThanOrEqual(1);
    after = await env.ok('GET', path);
    expect(after.saml.idp_certificates).toEqual(conn.saml.idp_certificates);
    expect(after.saml.metadata_error).toMatch(/The metadata expired/);
    expect(events()).toHaveLength(before + 1);
    expect(events().at(-1)?.metadata).toMatchObject({ ok: false });

    // A malformed validUntil is a failed refresh too.
    serve = (_req, res) => res.end(until(idp.metadataXml([testKey('idp-next').cert]), 'soon'));
    const malformed = await env.api('POST', `${path}/refresh-metadata`);
    expect([malformed.status, malformed.body.details.reason]).toEqual([502, expect.stringMatching(/validUntil 'soon' is not a date and time/)]);

    // The IdP publishes a current document: the refresh takes the new key.
    serve = (_req, res) => res.end(until(idp.metadataXml([testKey('idp-next').cert]), at(7 * 24 * HOUR)));
    const ok = await env.ok('POST', `${path}/refresh-metadata`);
    expect(ok.saml.metadata_error).toBeNull();
    expect(ok.saml.idp_certificates.map((c: { fingerprint: string }) => c.fingerprint)).not.toEqual(conn.saml.idp_certificates.map((c: { fingerprint: string }) => c.fingerprint));
  });
});
