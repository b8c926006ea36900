import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { SsoEnv } from '../../helpers/sso-env.ts';
import { TestSamlIdp } from '../../helpers/saml-idp.ts';
import { httpsMetadataFetcher } from '../../../src/sso/saml/metadata-fetch.ts';
import { runSsoMaintenance } from '../../../src/sso/maintenance.ts';

const KEYS = join(import.meta.dirname, '../../../fixtures/saml/keys');
const tls = { key: readFileSync(join(KEYS, 'idp.key.pem'), 'utf8'), cert: readFileSync(join(KEYS, 'idp.cert.pem'), 'utf8') };
/** The fixture certificate's name: the local IdP answers as this host, named as an on-premises IdP. */
const HOST = 'test-idp.portcullis.invalid';

/**
 * A metadata URL whose server starts answering and then stalls or drops the connection must
 * still end the refresh (as a failure, the IdP settings kept): the scheduled refresh runs one
 * pass at a time, so a refresh that never ends would stop every later pass (other tenants'
 * refreshes, the purges of login states and the replay cache) for good.
 */
describe('a metadata refresh whose IdP stalls or drops the connection mid-document', () => {
  let env: SsoEnv;
  let server: Server;
  let url = '';
  let tenant: { id: string };
  const idp = new TestSamlIdp();
  const timers = new Set<NodeJS.Timeout>();
  let serve: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end(idp.metadataXml());

  beforeAll(async () => {
    server = createServer(tls, (req, res) => serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://${HOST}:${(server.address() as { port: number }).port}/app/metadata`;
    const fetcher = httpsMetadataFetcher({ lookup: async () => [{ address: '127.0.0.1', family: 4 }], privateHosts: [HOST], ca: tls.cert, timeoutMs: 1_000 });
    env = await SsoEnv.start({ sso: { metadataFetcher: fetcher } });
    tenant = await env.tenant('Acme', 'acme');
  });
  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    await env?.close();
    await new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
  });

  /** Half of the metadata, announced as the whole (Content-Length), then the connection dropped. */
  const cutMidDocument = (_req: IncomingMessage, res: ServerResponse) => {
    const xml = idp.metadataXml();
    res.writeHead(200, { 'content-type': 'application/samlmetadata+xml', 'content-length': Buffer.byteLength(xml) });
    res.write(xml.slice(0, xml.length / 2), () => setTimeout(() => res.socket?.destroy(), 50));
  };
  /** One byte every 200 ms, for ever: never silent long enough for an idle-socket timeout. */
  const trickle = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
    const t = setInterval(() => res.write(' '), 200);
    timers.add(t);
    res.on('close', () => (clearInterval(t), timers.delete(t)));
  };

  it.each([
    ['drops the connection after half the document', cutMidDocument],
    ['trickles bytes slower than the fetch may take', trickle],
  ])('answers 502 when the IdP %s, keeping the IdP settings', async (_what, failing) => {
    serve = (_req, res) => res.end(idp.metadataXml());
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: url } });
    const path = `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`;

    serve = failing;
    const r = await env.api('POST', `${path}/refresh-metadata`);
    expect([r.status, r.body.code]).toEqual([502, 'idp_metadata_unavailable']);
    const after = await env.ok('GET', path);
    expect(after.saml.metadata_error).toBe(r.body.details.reason);
    expect(after.saml).toMatchObject({ idp_entity_id: conn.saml.idp_entity_id, idp_sso_url: conn.saml.idp_sso_url, idp_certificates: conn.saml.idp_certificates });
  }, 15_000);

  it('lets the scheduled pass finish (counting the failure) when an IdP drops the connection mid-document', async () => {
    serve = (_req, res) => res.end(idp.metadataXml());
    const conn = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: url } });
    serve = cutMidDocument;
    const later = { now: () => new Date(Date.now() + 13 * 3600_000) };
    const result = await runSsoMaintenance(env.services.sso, later, 720);
    expect(result.metadataFailed).toBeGreaterThanOrEqual(1);
    const after = await env.ok('GET', `/admin/v1/tenants/${tenant.id}/connections/${conn.id}`);
    expect(after.saml.metadata_error).toMatch(/could not be fetched/);
    expect(after.saml.idp_certificates).toEqual(conn.saml.idp_certificates);
  }, 15_000);
});
