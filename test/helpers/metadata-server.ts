import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { httpsMetadataFetcher, type MetadataFetcher } from '../../src/sso/saml/metadata-fetch.ts';

const KEYS = join(import.meta.dirname, '../../fixtures/saml/keys');
/** The fixture certificate's name: the local server answers as this host, named as an on-premises IdP. */
const HOST = 'test-idp.portcullis.invalid';

/**
 * An IdP's metadata URL: a real HTTPS server on 127.0.0.1 (the fixture certificate, trusted by
 * `fetcher` only) that answers every request with `document`, which a test changes as the IdP
 * would republish. `fetcher` is Portcullis' own metadata fetcher, resolving the host to it.
 */
export interface MetadataServer {
  url: string;
  fetcher: MetadataFetcher;
  /** What the IdP serves now. */
  document: string;
  /** How many times it was fetched. */
  fetches: number;
  close(): Promise<void>;
}

export async function startMetadataServer(document = ''): Promise<MetadataServer> {
  const tls = { key: readFileSync(join(KEYS, 'idp.key.pem'), 'utf8'), cert: readFileSync(join(KEYS, 'idp.cert.pem'), 'utf8') };
  const server = createServer(tls, (_req, res) => {
    out.fetches++;
    res.end(out.document);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const out: MetadataServer = {
    url: `https://${HOST}:${(server.address() as { port: number }).port}/app/metadata`,
    fetcher: httpsMetadataFetcher({ lookup: async () => [{ address: '127.0.0.1', family: 4 }], privateHosts: [HOST], ca: tls.cert, timeoutMs: 2_000 }),
    document,
    fetches: 0,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
  return out;
}

/** `xml` (an IdP's metadata) with these attributes on its EntityDescriptor (`validUntil`, `cacheDuration`). */
export function withEntityAttributes(xml: string, attributes: Record<string, string>): string {
  const text = Object.entries(attributes)
    .map(([k, v]) => `${k}="${v}" `)
    .join('');
  return xml.replace('<md:EntityDescriptor ', `<md:EntityDescriptor ${text}`);
}
