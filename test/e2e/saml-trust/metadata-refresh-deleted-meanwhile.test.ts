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
const HOST = 'test-idp.portcullis.invalid';

/**
 * The scheduled pass lists the connections due, then fetches each (up to seconds apiece): an
 * admin may delete one meanwhile. That connection is simply no longer refreshed; the pass goes
 * on with the others and with the purges.
 */
describe('a scheduled metadata refresh of a connection deleted while the pass runs', () => {
  let env: SsoEnv;
  let server: Server;
  let base = '';
  let tenant: { id: string };
  const idp = new TestSamlIdp();
  let serve: (req: IncomingMessage, res: ServerResponse) => unknown = (_req, res) => res.end(idp.metadataXml());

  beforeAll(async () => {
    server = createServer(tls, (req, res) => void serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://${HOST}:${(server.address() as { port: number }).port}`;
    const fetcher = httpsMetadataFetcher({ lookup: async () => [{ address: '127.0.0.1', family: 4 }], privateHosts: [HOST], ca: tls.cert, timeoutMs: 2_000 });
    env = await SsoEnv.start({ sso: { metadataFetcher: fetcher } });
    tenant = await env.tenant('Acme', 'acme');
  });
  afterAll(async () => {
    await env?.close();
    await new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
  });

  it('skips the deleted connection and still refreshes the others and purges', async () => {
    serve = (_req, res) => void res.end(idp.metadataXml());
    const first = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: `${base}/first` } });
    const second = await env.samlConnection(tenant.id, idp, { saml: { metadata_url: `${base}/second` } });
    const path = (c: { id: string }) => `/admin/v1/tenants/${tenant.id}/connections/${c.id}`;

    // Whichever is fetched first, the admin deletes it while its metadata is on the way.
    let deleted = '';
    serve = async (req, res) => {
      if (!deleted) {
        const victim = req.url === '/first' ? first : second;
        deleted = victim.id;
        expect((await env.api('DELETE', path(victim))).status).toBe(204);
      }
      res.end(idp.metadataXml());
    };
    const later = { now: () => new Date(Date.now() + 13 * 3600_000) };
    const result = await runSsoMaintenance(env.services.sso, later, 720);

    expect(result.metadataRefreshed).toBe(1);
    expect(result.metadataFailed).toBe(0);
    expect(result.purged).toBeDefined();
    const survivor = deleted === first.id ? second : first;
    expect((await env.api('GET', path({ id: deleted }))).status).toBe(404);
    const after = await env.ok('GET', path(survivor));
    expect(after.saml.metadata_refreshed_at > survivor.saml.metadata_refreshed_at).toBe(true);
  }, 15_000);
});
