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
/** The fixture certificate's name: the local IdP answers as this host, named as an on-premises IdP (PORTCULLIS_IDP_PRIVATE_HOSTS). */
const HOST = 'test-idp.portcullis.invalid';

/**
 * `POST …/refresh-metadata` against a real HTTPS IdP on a loopback port, fetched by the
 * production fetcher (pinned address, certificate verified): a fetch or parse that fails is
 * answered 502 `idp_metadata_unavailable` with the reason, the attempt is still recorded for the
 * admin and the scheduler, and the connection keeps the IdP settings (certificates, SSO URL) it had.
 */
describe('a manual metadata refresh that fails', () => {
  let env: SsoEnv;
  let server: Server;
  let url = '';
  let tenant: { id: string };
  const idp = new TestSamlIdp();
  const other = new TestSamlIdp('https://other.example/idp', 'https://other.example/sso', testKey('attacker'));
  let serve: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end(idp.metadataXml());

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

  const failures: [string, (req: IncomingMessage, res: ServerResponse) => void, RegExp][] = [
    ['an HTTP error', (_req, res) => res.writeHead(500).end('upstream down'), /answered 500/],
    ['a page that is not metadata', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Maintenance</body></html>'), /EntityDescriptor/],
    ['a dropped connection', (req) => req.socket.destroy(), /could not be fetched/],
    ["another IdP's metadata (the URL reassigned)", (_req, res) => res.end(other.metadataXml()), /now describes another IdP \(entity id 'https:\/\/other\.example\/idp'.*PATCH saml\.metadata_url/],
  ];

  it.each(failures)('answers 502 idp_metadata_unavailable to %s, records the attempt, and keeps the IdP settings', async (_what, failing, reason) => {
    serve = (_req, res) => res.end(idp.metadataXml());
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: url } });
    const path = `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`;
    const events = env.audit(tenant.id, 'sso.connection.metadata_refreshed').length;

    serve = failing;
    const r = await env.api('POST', `${path}/refresh-metadata`);
    expect([r.status, r.body.code]).toEqual([502, 'idp_metadata_unavailable']);
    expect(r.body.details.reason).toMatch(reason);
    expect(r.body.message).toContain(r.body.details.reason);
    expect(JSON.stringify(r.body)).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|\n\s+at /);

    const after = await env.api('GET', path);
    // The recorded attempt is a new version: the 502 carries its ETag, so If-Match goes on working.
    expect(r.headers.get('etag')).toBe(after.headers.get('etag'));
    expect(after.body.saml.metadata_error).toBe(r.body.details.reason);
    expect(after.body.saml.metadata_refreshed_at >= conn.saml.metadata_refreshed_at).toBe(true);
    expect(after.body.saml).toMatchObject({ idp_entity_id: conn.saml.idp_entity_id, idp_sso_url: conn.saml.idp_sso_url, idp_certificates: conn.saml.idp_certificates, metadata_url: url });
    const recorded = env.audit(tenant.id, 'sso.connection.metadata_refreshed');
    expect(recorded).toHaveLength(events + 1);
    expect(recorded.at(-1)?.metadata).toMatchObject({ ok: false, error: r.body.details.reason });
  });

  it('answers 200 with the new settings and clears metadata_error once the IdP serves metadata again', async () => {
    serve = (_req, res) => res.end(idp.metadataXml());
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: url } });
    const path = `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`;
    serve = (_req, res) => res.writeHead(503).end();
    expect((await env.api('POST', `${path}/refresh-metadata`)).status).toBe(502);
    serve = (_req, res) => res.end(idp.metadataXml([testKey('idp').cert, testKey('idp-next').cert]));
    const ok = await env.api('POST', `${path}/refresh-metadata`);
    expect(ok.status).toBe(200);
    expect(ok.body.saml.metadata_error).toBeNull();
    expect(ok.body.saml.idp_certificates).toHaveLength(2);
    expect(ok.headers.get('etag')).toBeTruthy();
  });

  it('counts a PATCH that re-imports metadata as a refresh: metadata_error cleared, metadata_refreshed_at now; pasted XML leaves no URL to refresh', async () => {
    serve = (_req, res) => res.end(idp.metadataXml());
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: url } });
    const path = `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`;
    serve = (_req, res) => res.writeHead(500).end();
    expect((await env.api('POST', `${path}/refresh-metadata`)).status).toBe(502);
    const failed = await env.ok('GET', path);
    expect(failed.saml.metadata_error).toBeTruthy();

    serve = (_req, res) => res.end(idp.metadataXml());
    const repatched = await env.ok('PATCH', path, { saml: { metadata_url: url } });
    expect(repatched.saml.metadata_error).toBeNull();
    expect(repatched.saml.metadata_refreshed_at > failed.saml.metadata_refreshed_at).toBe(true);

    serve = (_req, res) => res.writeHead(500).end();
    expect((await env.api('POST', `${path}/refresh-metadata`)).status).toBe(502);
    const pasted = await env.ok('PATCH', path, { saml: { metadata_xml: idp.metadataXml() } });
    expect(pasted.saml).toMatchObject({ metadata_url: null, metadata_refreshed_at: null, metadata_error: null });
  });

  it("moves a connection to another IdP only by the admin's PATCH of the metadata URL, never by a refresh, scheduled or manual", async () => {
    serve = (_req, res) => res.end(idp.metadataXml());
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: url } });
    const path = `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`;
    serve = (_req, res) => res.end(other.metadataXml());
    const later = { now: () => new Date(Date.now() + 13 * 3600_000) };
    expect((await runSsoMaintenance(env.services.sso, later, 720)).metadataFailed).toBeGreaterThanOrEqual(1);
    const kept = await env.ok('GET', path);
    expect(kept.saml).toMatchObject({ idp_entity_id: conn.saml.idp_entity_id, idp_sso_url: conn.saml.idp_sso_url, idp_certificates: conn.saml.idp_certificates });
    expect(kept.saml.metadata_error).toMatch(/now describes another IdP/);

    const moved = await env.ok('PATCH', path, { saml: { metadata_url: url } });
    expect(moved.saml).toMatchObject({ idp_entity_id: 'https://other.example/idp', idp_sso_url: 'https://other.example/sso', metadata_error: null });
    expect((await env.api('POST', `${path}/refresh-metadata`)).status).toBe(200);
  });

  it("does not refresh the connections of a deleted tenant", async () => {
    serve = (_req, res) => res.end(idp.metadataXml());
    const gone = await env.tenant('Gone', 'gone');
    const conn = await env.samlConnection(gone.id, idp, { saml: { metadata_url: url } });
    await env.ok('DELETE', `/admin/v1/tenants/${gone.id}`);
    const later = { now: () => new Date(Date.now() + 13 * 3600_000) };
    await runSsoMaintenance(env.services.sso, later, 720);
    const due = env.services.sso.connections.lookup.metadataDue(later.now(), 720, 300).map((c) => c.id);
    expect(due).not.toContain(conn.id);
    expect(env.audit(gone.id, 'sso.connection.metadata_refreshed')).toHaveLength(0);
  });

  it('refreshes a connection whose last refresh is recorded in the future (written while the clock was ahead), not only once the clock has caught up', async () => {
    serve = (_req, res) => res.end(idp.metadataXml());
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: url } });
    const ahead = new Date(Date.now() + 365 * 86_400_000).toISOString();
    env.services.storage.sql.raw.prepare('UPDATE sso_saml_settings SET metadata_refreshed_at = ? WHERE connection_id = ?').run(ahead, conn.id);
    const due = env.services.sso.connections.lookup.metadataDue(new Date(), 720, 300).map((c) => c.id);
    expect(due).toContain(conn.id);
  });

  it('lets the scheduled refresh count a failure and go on (the same attempt recorded, nothing thrown)', async () => {
    serve = (_req, res) => res.end(idp.metadataXml());
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: url } });
    serve = (_req, res) => res.writeHead(404).end();
    const later = { now: () => new Date(Date.now() + 13 * 3600_000) };
    const result = await runSsoMaintenance(env.services.sso, later, 720);
    expect(result.metadataFailed).toBeGreaterThanOrEqual(1);
    expect(result.metadataRefreshed).toBe(0);
    const after = await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`);
    expect(after.saml.metadata_error).toBe('The metadata URL answered 404.');
    expect(after.saml.idp_certificates).toEqual(conn.saml.idp_certificates);
  });
});
